/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-kb.c: the knowledge base (issue 16) against a real relay — articles written by
 * admins over REST and pushed to the team, their Markdown rendered safely, the public help centre
 * (escaped, no script, drafts hidden) and the widget's search of published articles. */
#include "relay-harness.h"

#include <glib/gstdio.h>

#include <string.h>

static JsonObject *
create_article (TestWorld  *world,
                const char *body,
                guint       status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);

  test_assert_http_status (response, status);
  return status == 201 ? json_object_ref (test_response_object (response)) : NULL;
}

static char *
get_text (TestWorld   *world,
          const char  *path,
          guint        status,
          char       **out_csp)
{
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, NULL, NULL, NULL);

  test_assert_http_status (response, status);
  if (out_csp != NULL)
    *out_csp = g_strdup (test_response_header (response, "Content-Security-Policy"));
  return test_response_text (response);
}

static void
test_crud (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(JsonObject) article = NULL;
  g_autoptr(JsonObject) pushed = NULL;
  g_autofree char *path = NULL;
  g_autofree char *list_path = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
  g_autofree char *audit_path = g_strdup_printf ("/api/v1/sites/%s/audit", world->site_id);
  const char *id;

  article = create_article (world,
                            "{\"title\":\"Returns & exchanges\",\"body\":\"# Returning\\n\\nSend it *back* within 30 days.\","
                            "\"category\":\"Orders\",\"language\":\"en-GB\"}", 201);
  id = test_obj_string (article, "id");
  g_assert_cmpstr (test_obj_string (article, "slug"), ==, "returns-exchanges");
  g_assert_false (test_obj_bool (article, "published"));
  g_assert_cmpstr (test_obj_string (article, "language"), ==, "en-GB");
  g_assert_cmpstr (test_obj_string (article, "html"), ==,
                   "<h2>Returning</h2>\n<p>Send it <em>back</em> within 30 days.</p>\n");

  /* the team hears of it */
  pushed = test_ws_wait_for (world->agent, "articles", 5000);
  g_assert_cmpuint (json_array_get_length (test_obj_array (pushed, "articles")), ==, 1);

  /* bad input: each with its error, nothing stored */
  g_assert_null (create_article (world, "{\"title\":\"Returns & exchanges\"}", 409));
  g_assert_null (create_article (world, "{\"title\":\"T\",\"slug\":\"Not a slug\"}", 400));
  g_assert_null (create_article (world, "{\"title\":\"T\",\"language\":\"e\"}", 400));
  g_assert_null (create_article (world, "{\"title\":\"T\",\"colour\":\"red\"}", 400));
  g_assert_null (create_article (world, "{\"body\":\"no title\"}", 400));
  g_assert_null (create_article (world, "{\"title\":\"T\",\"published\":\"yes\"}", 400));
  {
    g_autoptr(TestResponse) listed = test_http (world->relay, "GET", list_path, world->token, NULL, NULL);
    JsonArray *articles;

    test_assert_http_status (listed, 200);
    articles = test_obj_array (test_response_object (listed), "articles");
    g_assert_cmpuint (json_array_get_length (articles), ==, 1);
    /* lists leave the bodies out */
    g_assert_false (test_obj_has (json_array_get_object_element (articles, 0), "body"));
  }

  path = g_strdup_printf ("/api/v1/articles/%s", id);
  {
    g_autoptr(TestResponse) patch = test_http (world->relay, "PATCH", path, world->token,
                                               "{\"published\":true,\"title\":\"Returns\"}", NULL);
    g_autoptr(TestResponse) got = NULL;

    test_assert_http_status (patch, 200);
    g_assert_true (test_obj_bool (test_response_object (patch), "published"));
    /* the slug stays what links point at */
    g_assert_cmpstr (test_obj_string (test_response_object (patch), "slug"), ==, "returns-exchanges");
    got = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    test_assert_http_status (got, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (got), "title"), ==, "Returns");
  }

  /* searched by the team: stems, drafts included */
  {
    g_autofree char *q = g_strdup_printf ("%s?q=returned", list_path);
    g_autoptr(TestResponse) found = test_http (world->relay, "GET", q, world->token, NULL, NULL);

    test_assert_http_status (found, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (found), "articles")), ==, 1);
  }

  {
    g_autoptr(TestResponse) del = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) gone = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    g_autoptr(TestResponse) audit = test_http (world->relay, "GET", audit_path, world->token, NULL, NULL);
    g_autofree char *audit_text = NULL;

    test_assert_http_status (del, 204);
    test_assert_http_error (gone, 404, "not_found");
    test_assert_http_status (audit, 200);
    audit_text = test_response_text (audit);
    g_assert_nonnull (strstr (audit_text, "article.created"));
    g_assert_nonnull (strstr (audit_text, "article.updated"));
    g_assert_nonnull (strstr (audit_text, "article.deleted"));
  }
}

/* Whatever the Markdown holds, the HTML has only the renderer's tags and safe links. */
static void
test_markdown_safe (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(JsonObject) article = create_article (world, "{\"title\":\"Nasty\",\"body\":"
    "\"<script>alert(1)</script>\\n\\n"
    "<iframe src=\\\"https://evil.test\\\"></iframe>\\n\\n"
    "[click](javascript:alert(1)) [data](data:text/html,hi) [tab](java\\tscript:x) [ok](https://shop.test/a?b=1&c=\\\"2\\\")\\n\\n"
    "<img src=x onerror=alert(1)> **<b onmouseover=x>bold</b>**\\n\\n"
    "![pic](https://evil.test/x.png) <javascript:alert(1)> <https://shop.test/>\\n\\n"
    "- one\\n- `<code>`\\n\\n1. first\\n\\n```\\n<script>in code</script>\\n```\\n\"}", 201);
  const char *html = test_obj_string (article, "html");

  g_test_message ("%s", html);
  g_assert_null (strstr (html, "<script"));
  g_assert_null (strstr (html, "<iframe"));
  g_assert_null (strstr (html, "<img"));
  g_assert_null (strstr (html, "<b "));
  g_assert_null (strstr (html, "href=\"javascript"));
  g_assert_null (strstr (html, "href=\"data"));
  g_assert_null (strstr (html, "href=\"java"));
  g_assert_null (strstr (html, "src=\""));
  /* shown as text instead */
  g_assert_nonnull (strstr (html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  g_assert_nonnull (strstr (html, "&lt;img src=x onerror=alert(1)&gt;"));
  /* what is allowed stays, escaped */
  g_assert_nonnull (strstr (html, "<a href=\"https://shop.test/a?b=1&amp;c=&quot;2&quot;\" "
                                  "rel=\"nofollow noopener noreferrer\">ok</a>"));
  g_assert_nonnull (strstr (html, "<a href=\"https://shop.test/\""));
  g_assert_nonnull (strstr (html, "<p>click data tab <a href"));
  g_assert_nonnull (strstr (html, "<strong>&lt;b onmouseover=x&gt;bold&lt;/b&gt;</strong>"));
  g_assert_nonnull (strstr (html, "<li><code>&lt;code&gt;</code></li>"));
  g_assert_nonnull (strstr (html, "<ol>\n<li>first</li>\n</ol>"));
  g_assert_nonnull (strstr (html, "<pre><code>&lt;script&gt;in code&lt;/script&gt;\n</code></pre>"));
  g_assert_nonnull (strstr (html, "pic"));

  /* unclosed marks by the thousand render in linear time: every help page view renders */
  {
    g_autoptr(GString) body = g_string_new ("{\"title\":\"Marks\",\"body\":\"");
    g_autoptr(JsonObject) marks = NULL;
    gint64 start;

    /* 48,000 characters of the 50,000 a body may have */
    for (guint i = 0; i < 6000; i++)
      g_string_append (body, "**[<`_*(");
    g_string_append (body, "\"}");
    start = g_get_monotonic_time ();
    marks = create_article (world, body->str, 201);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
    g_assert_null (strstr (test_obj_string (marks, "html"), "<a "));
  }
}

static void
test_help_centre (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(JsonObject) published = create_article (world,
    "{\"title\":\"Shipping <script>alert(1)</script> times\",\"slug\":\"shipping-times\","
    "\"body\":\"We ship within **two days**.\",\"category\":\"Delivery & <i>post</i>\","
    "\"language\":\"de\",\"published\":true}", 201);
  g_autoptr(JsonObject) draft = create_article (world,
    "{\"title\":\"Secret sale\",\"slug\":\"secret-sale\",\"body\":\"Shipping is free next week.\"}", 201);
  g_autofree char *index_path = g_strdup_printf ("/help/%s", world->site_key);
  g_autofree char *article_path = g_strdup_printf ("/help/%s/shipping-times", world->site_key);
  g_autofree char *draft_path = g_strdup_printf ("/help/%s/secret-sale", world->site_key);
  g_autofree char *search_path = g_strdup_printf ("/help/%s?q=%%3Cscript%%3Eshipped", world->site_key);
  g_autofree char *csp = NULL;
  g_autofree char *index = get_text (world, index_path, 200, &csp);
  g_autofree char *page = get_text (world, article_path, 200, NULL);
  g_autofree char *search = get_text (world, search_path, 200, NULL);
  g_autofree char *draft_page = get_text (world, draft_path, 404, NULL);
  g_autofree char *unknown = get_text (world, "/help/no-such-key", 404, NULL);
  g_autofree char *bad_slug = g_strdup_printf ("/help/%s/Not_A_Slug", world->site_key);
  g_autofree char *bad = get_text (world, bad_slug, 404, NULL);

  /* no script may run, none is there */
  g_assert_nonnull (strstr (csp, "default-src 'none'"));
  g_assert_null (strstr (csp, "script-src"));
  for (guint i = 0; i < 3; i++)
    {
      const char *html = i == 0 ? index : i == 1 ? page : search;

      g_assert_null (strstr (html, "<script"));
      g_assert_null (strstr (html, "<i>"));
      g_assert_null (strstr (html, "Secret sale"));
    }
  g_assert_nonnull (strstr (index, "Shipping &lt;script&gt;alert(1)&lt;/script&gt; times"));
  g_assert_nonnull (strstr (index, "<h2>Delivery &amp; &lt;i&gt;post&lt;/i&gt;</h2>"));
  g_assert_nonnull (strstr (index, "href=\"/help/"));
  g_assert_nonnull (strstr (page, "<html lang=\"de\">"));
  g_assert_nonnull (strstr (page, "<p>We ship within <strong>two days</strong>.</p>"));
  /* the search finds "shipping" for "shipped", and echoes the query escaped */
  g_assert_nonnull (strstr (search, "/shipping-times\">"));
  g_assert_nonnull (strstr (search, "value=\"&lt;script&gt;shipped\""));
  g_assert_nonnull (strstr (draft_page, "Not found"));
  g_assert_nonnull (strstr (unknown, "Not found"));
  g_assert_nonnull (strstr (bad, "Not found"));

  /* only GET */
  {
    g_autoptr(TestResponse) post = test_http (world->relay, "POST", index_path, NULL, "{}", NULL);
    test_assert_http_error (post, 405, "method_not_allowed");
  }
}

static void
test_widget_search (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autoptr(JsonObject) published = create_article (world,
    "{\"title\":\"How to return an order\",\"slug\":\"returns\",\"body\":\"Returns are free for 30 days.\","
    "\"published\":true}", 201);
  g_autoptr(JsonObject) draft = create_article (world,
    "{\"title\":\"Returns for staff\",\"body\":\"Internal returning notes.\"}", 201);
  g_autofree char *path = g_strdup_printf ("/api/v1/widget/articles?site_key=%s&q=returning", world->site_key);
  g_autoptr(TestResponse) found = test_http (world->relay, "GET", path, NULL, NULL, NULL);
  JsonArray *articles;
  JsonObject *first;

  test_assert_http_status (found, 200);
  g_assert_cmpstr (test_response_header (found, "Access-Control-Allow-Origin"), ==, "*");
  articles = test_obj_array (test_response_object (found), "articles");
  /* published only */
  g_assert_cmpuint (json_array_get_length (articles), ==, 1);
  first = json_array_get_object_element (articles, 0);
  g_assert_cmpstr (test_obj_string (first, "title"), ==, "How to return an order");
  g_assert_cmpstr (test_obj_string (first, "excerpt"), ==, "Returns are free for 30 days.");
  {
    g_autofree char *expected = g_strdup_printf ("/help/%s/returns", world->site_key);
    g_assert_cmpstr (test_obj_string (first, "path"), ==, expected);
  }

  {
    g_autoptr(TestResponse) unknown = test_http (world->relay, "GET",
                                                 "/api/v1/widget/articles?site_key=nope&q=x", NULL, NULL, NULL);
    g_autofree char *no_q = g_strdup_printf ("/api/v1/widget/articles?site_key=%s", world->site_key);
    g_autoptr(TestResponse) missing = test_http (world->relay, "GET", no_q, NULL, NULL, NULL);
    g_autofree char *small = g_strdup_printf ("/api/v1/widget/articles?site_key=%s&q=hi%%20thanks", world->site_key);
    g_autoptr(TestResponse) talk = test_http (world->relay, "GET", small, NULL, NULL, NULL);

    test_assert_http_error (unknown, 404, "unknown_site");
    test_assert_http_error (missing, 400, "invalid_value");
    test_assert_http_status (talk, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (talk), "articles")), ==, 0);
  }

  /* rate limited per address: 60 a minute, pages and searches together */
  {
    guint refused = 0;

    for (guint i = 0; i < 70 && refused == 0; i++)
      {
        g_autoptr(TestResponse) again = test_http (world->relay, "GET", path, NULL, NULL, NULL);

        if (again->status == 429)
          {
            refused++;
            g_assert_cmpstr (test_response_error_code (again), ==, "rate_limited");
            g_assert_nonnull (test_response_header (again, "Retry-After"));
          }
      }
    g_assert_cmpuint (refused, ==, 1);
  }
}

/* The FAQ bot's answer links a published article about the same thing when [help] public-url
 * says where the help centre is; not a draft, not an article about something else. */
static void
test_faq_read_more (void)
{
  g_autoptr(TestWorld) world = test_world_new ("[help]\npublic-url=https://help.example.test/\n",
                                                TEST_WORLD_DEFAULT);
  g_autoptr(TestWorld) plain = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *faqs = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autofree char *plain_faqs = g_strdup_printf ("/api/v1/sites/%s/faqs", plain->site_id);
  g_autofree char *expected = NULL;
  const char *faq_body = "{\"question\":\"What is your return policy?\",\"answer\":\"30 days, free.\","
                         "\"keywords\":[\"return\"]}";
  g_autoptr(JsonObject) linked = NULL;
  g_autoptr(JsonObject) bare = NULL;
  g_autoptr(JsonObject) other = NULL;

  {
    g_autoptr(TestResponse) a = test_http (world->relay, "POST", faqs, world->token, faq_body, NULL);
    g_autoptr(TestResponse) b = test_http (plain->relay, "POST", plain_faqs, plain->token, faq_body, NULL);
    g_autoptr(TestResponse) c = test_http (world->relay, "POST", faqs, world->token,
                                           "{\"question\":\"Do you sell gift cards?\",\"answer\":\"Yes.\","
                                           "\"keywords\":[\"gift card\"]}", NULL);
    test_assert_http_status (a, 201);
    test_assert_http_status (b, 201);
    test_assert_http_status (c, 201);
  }
  json_object_unref (create_article (world, "{\"title\":\"Our return policy\",\"slug\":\"returns\","
                                 "\"body\":\"All about returning.\",\"published\":true}", 201));
  json_object_unref (create_article (world, "{\"title\":\"Gift cards\",\"slug\":\"gift-cards\","
                                 "\"body\":\"Draft.\"}", 201));
  json_object_unref (create_article (plain, "{\"title\":\"Our return policy\",\"slug\":\"returns\","
                                 "\"body\":\"All about returning.\",\"published\":true}", 201));

  test_visitor_say (world->visitor, "Can I return my order?", NULL);
  linked = test_ws_wait_for_match (world->visitor, "message", "sender.type", "bot", 5000);
  expected = g_strdup_printf ("30 days, free.\n\nRead more: Our return policy — "
                              "https://help.example.test/help/%s/returns", world->site_key);
  g_assert_cmpstr (test_obj_string (linked, "body"), ==, expected);

  /* the gift card article is a draft: the answer alone */
  test_visitor_say (world->visitor, "Do you have gift cards?", NULL);
  other = test_ws_wait_for_match (world->visitor, "message", "body", "Yes.", 5000);
  g_assert_nonnull (other);

  /* without [help] public-url: no link */
  test_visitor_say (plain->visitor, "Can I return my order?", NULL);
  bare = test_ws_wait_for_match (plain->visitor, "message", "sender.type", "bot", 5000);
  g_assert_cmpstr (test_obj_string (bare, "body"), ==, "30 days, free.");
}

/* [help] public-url is an http(s) address or a config error, never a link of another kind. */
static void
test_public_url_checked (void)
{
  const char *relay = g_getenv ("CONFAB_RELAY");
  g_autofree char *dir = g_dir_make_tmp ("test-relay-kb-XXXXXX", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.conf", NULL);
  g_autofree char *good = g_build_filename (dir, "good.conf", NULL);
  g_autofree char *err = NULL;
  int status = 0;

  g_assert_nonnull (relay);
  g_assert_true (g_file_set_contents (bad, "[help]\npublic-url=javascript:alert(1)\n", -1, NULL));
  g_assert_true (g_file_set_contents (good, "[help]\npublic-url=https://chat.example.test/\n", -1, NULL));
  {
    const char *argv[] = { relay, "--check-config", bad, NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                 NULL, &err, &status, NULL));
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (err, "[help] public-url"));
  }
  {
    const char *argv[] = { relay, "--check-config", good, NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                                 G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                                 NULL, NULL, &status, NULL));
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  g_unlink (bad);
  g_unlink (good);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/kb/crud", test_crud);
  test_harness_add ("/relay/kb/markdown-safe", test_markdown_safe);
  test_harness_add ("/relay/kb/help-centre", test_help_centre);
  test_harness_add ("/relay/kb/widget-search", test_widget_search);
  test_harness_add ("/relay/kb/faq-read-more", test_faq_read_more);
  test_harness_add ("/relay/kb/public-url-checked", test_public_url_checked);

  return g_test_run ();
}
