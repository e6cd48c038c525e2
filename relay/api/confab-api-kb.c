/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-kb.c: /sites/{id}/articles and /articles/{id} — the knowledge base the team
 * writes — and /widget/articles, the widget's search of its published articles */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-admin.h"
#include "confab-assistant.h"
#include "confab-api-kb.h"
#include "confab-help.h"
#include "confab-hub-admin.h"
#include "confab-json.h"
#include "confab-markdown.h"
#include "confab-util.h"

#include <string.h>

#define MAX_TITLE_CHARS     200
#define MAX_BODY_CHARS      50000
#define MAX_CATEGORY_CHARS  100
#define MAX_LANGUAGE_CHARS  35
#define MAX_QUERY_CHARS     200
#define SEARCH_RESULTS      10
#define WIDGET_RESULTS      5

static const char * const article_fields[] = { "title", "body", "category", "language", "slug",
                                               "published", NULL };

static char *
article_path (const ConfabSite    *site,
              const ConfabArticle *article)
{
  return g_strdup_printf ("/help/%s/%s", site->site_key, article->slug);
}

static JsonObject *
article_to_json (const ConfabArticle *article,
                 gboolean             with_body)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created_at = confab_format_time (article->created_at);
  g_autofree char *updated_at = confab_format_time (article->updated_at);

  json_object_set_string_member (object, "id", article->id);
  json_object_set_string_member (object, "site_id", article->site_id);
  json_object_set_string_member (object, "slug", article->slug);
  json_object_set_string_member (object, "title", article->title);
  json_object_set_string_member (object, "category", article->category);
  json_object_set_string_member (object, "language", article->language);
  json_object_set_boolean_member (object, "published", article->published);
  if (with_body)
    {
      g_autofree char *html = confab_markdown_to_html (article->body);

      json_object_set_string_member (object, "body", article->body);
      json_object_set_string_member (object, "html", html);
    }
  json_object_set_string_member (object, "created_at", created_at);
  json_object_set_string_member (object, "updated_at", updated_at);
  return object;
}

static void
answer_article (ConfabApiCall       *call,
                guint                status,
                const ConfabArticle *article)
{
  g_autoptr (JsonObject) answer = article_to_json (article, TRUE);

  confab_http_json_object (call->msg, status, answer);
}

static void
article_failed (ConfabApiCall *call,
                const GError  *error)
{
  if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    confab_http_error (call->msg, SOUP_STATUS_CONFLICT, "conflict",
                       "This site already has an article with this slug");
  else
    confab_http_gerror (call->msg, error);
}

/* A language tag: 2 to 35 of letters, digits and "-", starting with a letter ("en", "de-CH"). */
static gboolean
language_valid (const char *language)
{
  gsize length = strlen (language);

  if (length < 2 || length > MAX_LANGUAGE_CHARS || !g_ascii_isalpha (language[0]))
    return FALSE;
  for (const char *c = language; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '-')
      return FALSE;
  return TRUE;
}

/* The body's fields into @draft; FALSE when it answered with an error. */
static gboolean
read_draft (ConfabApiCall      *call,
            JsonObject         *body,
            gboolean            create,
            ConfabArticleDraft *draft)
{
  g_autoptr (GError) error = NULL;
  gboolean published = FALSE;

  if (!confab_api_only_fields (call, body, article_fields) ||
      !confab_api_text_field (call, body, "title", create, 1, MAX_TITLE_CHARS, &draft->title) ||
      !confab_api_text_field (call, body, "body", FALSE, 0, MAX_BODY_CHARS, &draft->body) ||
      !confab_api_text_field (call, body, "category", FALSE, 0, MAX_CATEGORY_CHARS, &draft->category) ||
      !confab_api_text_field (call, body, "language", FALSE, 0, MAX_LANGUAGE_CHARS, &draft->language) ||
      !confab_api_text_field (call, body, "slug", FALSE, 0, 100, &draft->slug))
    return FALSE;

  draft->published = -1;
  if (json_object_has_member (body, "published"))
    {
      if (!confab_json_get_bool (body, "published", TRUE, FALSE, &published, &error))
        {
          confab_http_gerror (call->msg, error);
          return FALSE;
        }
      draft->published = published ? 1 : 0;
    }

  if (draft->language != NULL && !language_valid (draft->language))
    {
      confab_api_bad_value (call, "“language” must be a language tag such as en or de-CH");
      return FALSE;
    }
  if (draft->slug != NULL && !confab_kb_slug_valid (draft->slug))
    {
      confab_api_bad_value (call, "“slug” must be 1 to 100 characters of a-z, 0-9 and -");
      return FALSE;
    }
  return TRUE;
}

static void
article_detail (JsonObject          *detail,
                const ConfabArticle *article)
{
  json_object_set_string_member (detail, "article_id", article->id);
  json_object_set_string_member (detail, "slug", article->slug);
  json_object_set_boolean_member (detail, "published", article->published);
}

/* The site's articles as GET /sites/{id}/articles lists them: without their bodies. */
static JsonArray *
articles_list_json (ConfabStore  *store,
                    const char   *site_id,
                    GError      **error)
{
  g_autoptr (GPtrArray) articles = confab_store_list_articles (store, site_id, FALSE, error);
  JsonArray *list;

  if (articles == NULL)
    return NULL;
  list = json_array_new ();
  for (guint i = 0; i < articles->len; i++)
    json_array_add_object_element (list, article_to_json (g_ptr_array_index (articles, i), FALSE));
  return list;
}

/* After any change: every connected member of the site gets the whole list. */
static void
push_articles (ConfabApiCall *call,
               const char    *site_id)
{
  g_autoptr (GError) error = NULL;
  JsonArray *list = articles_list_json (call->relay->store, site_id, &error);

  if (list == NULL)
    g_warning ("Cannot tell the team of the articles: %s", error->message);
  else
    confab_hub_push_list (call->relay->hub, site_id, "articles", list);
  confab_assistant_knowledge_changed (call->relay->assistant, site_id);
}

static void
articles_list (ConfabApiCall *call,
               ConfabSite    *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GError) error = NULL;
  const char *text = call->query ? g_hash_table_lookup (call->query, "q") : NULL;
  JsonArray *list;

  if (text != NULL)
    {
      g_autoptr (GPtrArray) found = NULL;

      if (!g_utf8_validate (text, -1, NULL) || confab_utf8_length (text) > MAX_QUERY_CHARS)
        return confab_api_bad_value (call, "“q” must be text of at most 200 characters");
      found = confab_kb_search (call->relay->store, site->id, text, FALSE, SEARCH_RESULTS, &error);
      if (found == NULL)
        return confab_http_gerror (call->msg, error);
      list = json_array_new ();
      for (guint i = 0; i < found->len; i++)
        json_array_add_object_element (list, article_to_json (g_ptr_array_index (found, i), FALSE));
    }
  else if ((list = articles_list_json (call->relay->store, site->id, &error)) == NULL)
    return confab_http_gerror (call->msg, error);

  json_object_set_array_member (answer, "articles", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

static void
articles_create (ConfabApiCall *call,
                 ConfabSite    *site)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabArticle) article = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *slug = NULL;
  ConfabArticleDraft draft = { 0 };

  if (!confab_api_require_admin (call, site->role))
    return;
  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !read_draft (call, body, TRUE, &draft))
    return;

  if (draft.slug == NULL)
    draft.slug = slug = confab_kb_slugify (draft.title);
  article = confab_store_create_article (call->relay->store, site->id, &draft, &error);
  if (article == NULL)
    return article_failed (call, error);

  article_detail (detail, article);
  confab_api_audit (call, site->id, "article.created", "article", article->id, article->title, detail);
  push_articles (call, site->id);
  answer_article (call, SOUP_STATUS_CREATED, article);
}

void
confab_api_site_articles (ConfabApiCall  *call,
                          ConfabSite     *site,
                          char          **rest)
{
  if (rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    return articles_list (call, site);
  if (confab_api_method_is (call, "POST"))
    return articles_create (call, site);
  confab_api_method_not_allowed (call, "GET, POST");
}

static void
article_patch (ConfabApiCall *call,
               ConfabArticle *article)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabArticle) updated = NULL;
  g_autoptr (GError) error = NULL;
  ConfabArticleDraft draft = { 0 };

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !read_draft (call, body, FALSE, &draft))
    return;

  updated = confab_store_update_article (call->relay->store, article->id, &draft, &error);
  if (updated == NULL)
    return article_failed (call, error);

  article_detail (detail, updated);
  {
    g_autoptr (GList) keys = json_object_get_members (body);
    JsonArray *changed = json_array_new ();

    for (GList *l = keys; l; l = l->next)
      json_array_add_string_element (changed, l->data);
    json_object_set_array_member (detail, "changed", changed);
  }
  confab_api_audit (call, article->site_id, "article.updated", "article", article->id,
                    updated->title, detail);
  push_articles (call, article->site_id);
  answer_article (call, SOUP_STATUS_OK, updated);
}

void
confab_api_article (ConfabApiCall  *call,
                    const char     *article_id,
                    char          **rest)
{
  g_autoptr (ConfabArticle) article = confab_store_get_article (call->relay->store, article_id, NULL);
  g_autoptr (GError) error = NULL;
  ConfabRole role;

  /* unknown and foreign articles look the same */
  if (article == NULL || (role = confab_api_role (call, article->site_id)) == CONFAB_ROLE_NONE ||
      rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    return answer_article (call, SOUP_STATUS_OK, article);

  if (!confab_api_method_is (call, "PATCH") && !confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "GET, PATCH, DELETE");
  if (!confab_api_require_admin (call, role))
    return;

  if (confab_api_method_is (call, "PATCH"))
    return article_patch (call, article);

  if (!confab_store_delete_article (call->relay->store, article->id, &error))
    return confab_http_gerror (call->msg, error);
  {
    g_autoptr (JsonObject) detail = json_object_new ();

    article_detail (detail, article);
    confab_api_audit (call, article->site_id, "article.deleted", "article", article->id,
                      article->title, detail);
  }
  push_articles (call, article->site_id);
  confab_api_no_content (call);
}

/* --- the widget's search: public, CORS, rate limited per address --- */

void
confab_api_widget_articles (ConfabRelay       *relay,
                            SoupServerMessage *msg,
                            GHashTable        *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *site_key = query ? g_hash_table_lookup (query, "site_key") : NULL;
  const char *text = query ? g_hash_table_lookup (query, "q") : NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = json_object_new ();
  JsonArray *list;
  guint retry = 0;

  /* any page with the widget may ask: only published articles, the help centre's anyway */
  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", "*");
  if (strcmp (method, "OPTIONS") == 0)
    {
      soup_message_headers_replace (headers, "Access-Control-Allow-Methods", "GET");
      soup_message_headers_replace (headers, "Access-Control-Max-Age", "86400");
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }
  if (strcmp (method, "GET") != 0)
    {
      soup_message_headers_replace (headers, "Allow", "GET, OPTIONS");
      return confab_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                "Use GET");
    }
  if (!confab_kb_take_public_request (relay, msg, &retry))
    return confab_http_rate_limited (msg, retry);

  if (site_key != NULL)
    site = confab_store_get_site_by_key (relay->store, site_key, NULL);
  if (site == NULL || !site->enabled)
    return confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "unknown_site",
                              "No chat is enabled for this site key");
  if (text == NULL || !g_utf8_validate (text, -1, NULL) || confab_utf8_length (text) > MAX_QUERY_CHARS)
    return confab_http_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_value",
                              "“q” must be text of at most 200 characters");

  found = confab_kb_search (relay->store, site->id, text, TRUE, WIDGET_RESULTS, &error);
  if (found == NULL)
    return confab_http_gerror (msg, error);

  list = json_array_new ();
  for (guint i = 0; i < found->len; i++)
    {
      ConfabArticle *article = g_ptr_array_index (found, i);
      JsonObject *entry = json_object_new ();
      g_autofree char *path = article_path (site, article);
      g_autofree char *excerpt = confab_kb_excerpt (article, 160);

      json_object_set_string_member (entry, "title", article->title);
      json_object_set_string_member (entry, "category", article->category);
      json_object_set_string_member (entry, "excerpt", excerpt);
      json_object_set_string_member (entry, "path", path);
      json_array_add_object_element (list, entry);
    }
  json_object_set_array_member (answer, "articles", list);
  confab_http_json_object (msg, SOUP_STATUS_OK, answer);
}
