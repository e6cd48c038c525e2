/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-help.c: the public help centre of a site's knowledge base.
 *
 * /help/{site_key} lists the site's published articles by category with a search form (a GET
 * form: no script anywhere), /help/{site_key}?q=… the articles matching, /help/{site_key}/{slug}
 * one article, its Markdown rendered by confab-markdown.c (safe by construction). Every text is
 * escaped; a Content-Security-Policy without script-src lets no script run even if one slipped
 * through. Drafts, disabled sites and unknown keys are all the same 404 page.
 */
#define G_LOG_DOMAIN "confab-help"

#include "confab-help.h"
#include "confab-faq.h"
#include "confab-http.h"
#include "confab-markdown.h"
#include "confab-ratelimit.h"
#include "confab-util.h"

#include <string.h>

#define SEARCH_RESULTS      20
#define MAX_QUERY_CHARS     200
/* public requests (pages and the widget's search) per address and minute */
#define PUBLIC_PER_MINUTE   60

#define HELP_CSP "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; " \
                 "base-uri 'none'; frame-ancestors 'none'"

/* --- search and slugs --- */

GPtrArray *
confab_kb_search (ConfabStore  *store,
                  const char   *site_id,
                  const char   *text,
                  gboolean      published_only,
                  guint         limit,
                  GError      **error)
{
  g_autoptr (ConfabFaqQuery) query = confab_faq_query_new (text);
  g_autofree char *match = confab_faq_query_fts_match (query);

  if (match == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) confab_article_free);
  return confab_store_search_articles (store, site_id, match, published_only, limit, error);
}

char *
confab_kb_slugify (const char *title)
{
  g_autofree char *ascii = title ? g_str_to_ascii (title, "C") : g_strdup ("");
  g_autoptr (GString) slug = g_string_new (NULL);
  gboolean dash = FALSE;

  for (const char *c = ascii; *c && slug->len < 80; c++)
    {
      if (g_ascii_isalnum (*c))
        {
          if (dash && slug->len > 0)
            g_string_append_c (slug, '-');
          g_string_append_c (slug, g_ascii_tolower (*c));
          dash = FALSE;
        }
      else
        dash = TRUE;
    }
  if (slug->len == 0)
    g_string_append (slug, "article");
  return g_string_free (g_steal_pointer (&slug), FALSE);
}

gboolean
confab_kb_slug_valid (const char *slug)
{
  gsize length = slug ? strlen (slug) : 0;

  if (length == 0 || length > 100)
    return FALSE;
  for (const char *c = slug; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || g_ascii_isdigit (*c) || *c == '-'))
      return FALSE;
  return TRUE;
}

char *
confab_kb_excerpt (const ConfabArticle *article,
                   guint                max_chars)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gboolean space = FALSE;
  guint chars = 0;
  const char *p;

  for (p = article->body; p && *p && chars < max_chars; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* Markdown's marks and line structure are no text */
      if (c == '#' || c == '*' || c == '_' || c == '`' || c == '>' || c == '[' || c == ']')
        continue;
      if (g_unichar_isspace (c))
        {
          space = text->len > 0;
          continue;
        }
      if (space)
        {
          g_string_append_c (text, ' ');
          chars++;
          space = FALSE;
        }
      g_string_append_unichar (text, c);
      chars++;
    }
  if (p != NULL && *p != '\0')
    g_string_append (text, "…");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

gboolean
confab_kb_take_public_request (ConfabRelay       *relay,
                               SoupServerMessage *msg,
                               guint             *retry_after_ms)
{
  ConfabRateLimit *limit = g_object_get_data (G_OBJECT (relay->server), "confab-kb-limit");
  g_autofree char *ip = confab_http_client_ip (relay, msg);
  g_autofree char *ip_hash = confab_relay_hash_ip (relay, ip);

  if (limit == NULL)
    {
      /* kept with the server, whose life is the relay's */
      limit = confab_rate_limit_new (PUBLIC_PER_MINUTE, 60 * 1000);
      g_object_set_data_full (G_OBJECT (relay->server), "confab-kb-limit", limit,
                              (GDestroyNotify) confab_rate_limit_free);
    }
  return confab_rate_limit_take (limit, ip_hash, confab_rate_limit_now_ms (), retry_after_ms);
}

/* --- pages --- */

static void
page_start (GString    *out,
            const char *language,
            const char *title,
            const char *site_name)
{
  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"");
  confab_html_escape_append (out, language ? language : "en", -1);
  g_string_append (out, "\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                        "<meta name=\"robots\" content=\"index, follow\">\n<title>");
  confab_html_escape_append (out, title, -1);
  g_string_append (out, " – ");
  confab_html_escape_append (out, site_name, -1);
  g_string_append (out, "</title>\n<style>\n"
                        "body{font:16px/1.55 system-ui,sans-serif;max-width:46rem;margin:0 auto;"
                        "padding:1.5rem 1rem;color:#1f2328;background:#fff}\n"
                        "a{color:#0b57d0}header a{color:inherit;text-decoration:none}\n"
                        "form{display:flex;gap:.5rem;margin:1rem 0 2rem}"
                        "input[type=search]{flex:1;font:inherit;padding:.5rem .75rem;"
                        "border:1px solid #8c959f;border-radius:.5rem}"
                        "button{font:inherit;padding:.5rem 1rem;border-radius:.5rem;"
                        "border:1px solid #8c959f;background:#f6f8fa}\n"
                        "pre{background:#f6f8fa;padding:1rem;overflow:auto;border-radius:.5rem}\n"
                        "code{font-family:ui-monospace,monospace;font-size:.92em}\n"
                        "blockquote{margin:0;padding-left:1rem;border-left:3px solid #d0d7de;color:#57606a}\n"
                        ".excerpt{color:#57606a;margin-top:.25rem}ul.articles{padding-left:1.2rem}\n"
                        "ul.articles li{margin-bottom:.75rem}\n"
                        "@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}"
                        "a{color:#58a6ff}pre{background:#161b22}.excerpt,blockquote{color:#8d96a0}"
                        "input[type=search],button{background:#161b22;color:inherit}}\n"
                        "</style>\n</head>\n<body>\n");
}

static void
page_header (GString          *out,
             const ConfabSite *site,
             const char       *query)
{
  g_autofree char *key = g_uri_escape_string (site->site_key, NULL, FALSE);

  g_string_append_printf (out, "<header><p><a href=\"/help/%s\">", key);
  confab_html_escape_append (out, site->name, -1);
  g_string_append (out, " – Help centre</a></p></header>\n");
  g_string_append_printf (out, "<form method=\"get\" action=\"/help/%s\" role=\"search\">"
                               "<input type=\"search\" name=\"q\" aria-label=\"Search the help centre\" "
                               "placeholder=\"Search the help centre\" maxlength=\"200\" value=\"", key);
  confab_html_escape_append (out, query ? query : "", -1);
  g_string_append (out, "\"><button type=\"submit\">Search</button></form>\n<main>\n");
}

static void
page_end (GString *out)
{
  g_string_append (out, "</main>\n</body>\n</html>\n");
}

static void
send_page (SoupServerMessage *msg,
           guint              status,
           GString           *page)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Content-Security-Policy", HELP_CSP);
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  /* public, and the same for everyone: a short cache is fine */
  soup_message_headers_replace (headers, "Cache-Control", "public, max-age=60");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    page->str, page->len);
}

static void
not_found_page (SoupServerMessage *msg)
{
  g_autoptr (GString) page = g_string_new (NULL);

  g_string_append (page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                         "<title>Not found</title>\n</head>\n<body>\n<main>\n<h1>Not found</h1>\n"
                         "<p>There is no help page at this address.</p>\n</main>\n</body>\n</html>\n");
  send_page (msg, SOUP_STATUS_NOT_FOUND, page);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
}

static void
append_article_link (GString             *out,
                     const ConfabSite    *site,
                     const ConfabArticle *article)
{
  g_autofree char *key = g_uri_escape_string (site->site_key, NULL, FALSE);
  g_autofree char *excerpt = confab_kb_excerpt (article, 160);

  /* slugs are a-z, 0-9 and "-": nothing to escape, escaped all the same */
  g_string_append_printf (out, "<li><a href=\"/help/%s/", key);
  confab_html_escape_append (out, article->slug, -1);
  g_string_append (out, "\">");
  confab_html_escape_append (out, article->title, -1);
  g_string_append (out, "</a><div class=\"excerpt\">");
  confab_html_escape_append (out, excerpt, -1);
  g_string_append (out, "</div></li>\n");
}

static void
index_page (ConfabRelay       *relay,
            SoupServerMessage *msg,
            const ConfabSite  *site,
            const char        *query)
{
  g_autoptr (GString) page = g_string_new (NULL);
  g_autoptr (GPtrArray) articles = NULL;
  g_autoptr (GError) error = NULL;
  const char *category = NULL;

  if (query != NULL && (*query == '\0' || !g_utf8_validate (query, -1, NULL) ||
                        g_utf8_strlen (query, -1) > MAX_QUERY_CHARS))
    query = NULL;

  articles = query ? confab_kb_search (relay->store, site->id, query, TRUE, SEARCH_RESULTS, &error)
                   : confab_store_list_articles (relay->store, site->id, TRUE, &error);
  if (articles == NULL)
    return confab_http_gerror (msg, error);

  page_start (page, NULL, query ? "Search" : "Help centre", site->name);
  page_header (page, site, query);

  if (query != NULL)
    {
      g_string_append (page, "<h1>Results for “");
      confab_html_escape_append (page, query, -1);
      g_string_append (page, "”</h1>\n");
      if (articles->len == 0)
        g_string_append (page, "<p>No article matches. Try other words, or ask us in the chat.</p>\n");
      else
        {
          g_string_append (page, "<ul class=\"articles\">\n");
          for (guint i = 0; i < articles->len; i++)
            append_article_link (page, site, g_ptr_array_index (articles, i));
          g_string_append (page, "</ul>\n");
        }
    }
  else
    {
      g_string_append (page, "<h1>Help centre</h1>\n");
      if (articles->len == 0)
        g_string_append (page, "<p>There are no articles yet.</p>\n");
      for (guint i = 0; i < articles->len; i++)
        {
          ConfabArticle *article = g_ptr_array_index (articles, i);

          /* listed by category: a heading each time it changes */
          if (category == NULL || strcmp (category, article->category) != 0)
            {
              if (category != NULL)
                g_string_append (page, "</ul>\n");
              category = article->category;
              g_string_append (page, "<h2>");
              confab_html_escape_append (page, *category ? category : "General", -1);
              g_string_append (page, "</h2>\n<ul class=\"articles\">\n");
            }
          append_article_link (page, site, article);
        }
      if (category != NULL)
        g_string_append (page, "</ul>\n");
    }

  page_end (page);
  send_page (msg, SOUP_STATUS_OK, page);
}

static void
article_page (ConfabRelay       *relay,
              SoupServerMessage *msg,
              const ConfabSite  *site,
              const char        *slug)
{
  g_autoptr (GString) page = g_string_new (NULL);
  g_autoptr (ConfabArticle) article = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *html = NULL;

  if (!confab_kb_slug_valid (slug))
    return not_found_page (msg);
  article = confab_store_get_article_by_slug (relay->store, site->id, slug, TRUE, &error);
  if (article == NULL && g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
    return not_found_page (msg);
  if (article == NULL)
    return confab_http_gerror (msg, error);

  html = confab_markdown_to_html (article->body);
  page_start (page, article->language, article->title, site->name);
  page_header (page, site, NULL);
  g_string_append (page, "<article>\n");
  if (*article->category)
    {
      g_string_append (page, "<p class=\"excerpt\">");
      confab_html_escape_append (page, article->category, -1);
      g_string_append (page, "</p>\n");
    }
  g_string_append (page, "<h1>");
  confab_html_escape_append (page, article->title, -1);
  g_string_append (page, "</h1>\n");
  g_string_append (page, html);
  g_string_append (page, "</article>\n");
  page_end (page);
  send_page (msg, SOUP_STATUS_OK, page);
}

static void
handle_help (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  ConfabRelay *relay = user_data;
  g_auto (GStrv) segments = confab_http_path_segments (path, "/help");
  g_autoptr (ConfabSite) site = NULL;
  const char *method = soup_server_message_get_method (msg);
  guint retry = 0;

  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      return confab_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                "The help centre is read with GET");
    }
  if (!confab_kb_take_public_request (relay, msg, &retry))
    return confab_http_rate_limited (msg, retry);

  if (segments == NULL || segments[0] == NULL || *segments[0] == '\0' ||
      (segments[1] != NULL && segments[2] != NULL))
    return not_found_page (msg);

  site = confab_store_get_site_by_key (relay->store, segments[0], NULL);
  if (site == NULL || !site->enabled)
    return not_found_page (msg);

  if (segments[1] == NULL || *segments[1] == '\0')
    return index_page (relay, msg, site, query ? g_hash_table_lookup (query, "q") : NULL);
  article_page (relay, msg, site, segments[1]);
}

void
confab_help_register (ConfabRelay *relay)
{
  soup_server_add_handler (relay->server, "/help", handle_help, relay, NULL);
}
