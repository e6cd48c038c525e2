/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-search.c: search over message bodies on the relay (issue 14) — words in any case
 * and without diacritics, newest first, paged by cursor, only the caller's sites, plain-text
 * snippets, bad queries refused */

#include "relay-harness.h"

#include <string.h>

static TestResponse *
search (TestWorld  *world,
        const char *token,
        const char *query)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/search?%s", query);

  return test_http (world->relay, "GET", path, token, NULL, NULL);
}

static JsonArray *
results (TestResponse *response)
{
  return test_obj_array (test_response_object (response), "results");
}

static void
test_search_paging (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr(TestResponse) first = NULL, second = NULL, last = NULL, accents = NULL, prefix = NULL;
  g_autoptr(TestResponse) by_site = NULL;
  g_autofree char *conversation_id = NULL, *query = NULL;
  gint64 seqs[5];
  JsonObject *hit;
  gint64 next;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("Parcel number %u has not arrived", i + 1);

      seqs[i] = test_visitor_say (world->visitor, body, i == 0 ? &conversation_id : NULL);
    }
  test_agent_say (world->agent, conversation_id, "Le colis est arrivé à Zürich");

  /* newest first, two a page */
  first = search (world, world->token, "q=PARCEL%20arrived&limit=2");
  test_assert_http_status (first, 200);
  g_assert_cmpuint (json_array_get_length (results (first)), ==, 2);
  hit = json_array_get_object_element (results (first), 0);
  g_assert_cmpstr (test_obj_string (hit, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (hit, "site_id"), ==, world->site_id);
  g_assert_cmpint (test_obj_int (hit, "seq"), ==, seqs[4]);
  g_assert_cmpstr (test_obj_string (hit, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (hit, "snippet"), ==, "Parcel number 5 has not arrived");
  g_assert_nonnull (test_obj_string (hit, "created_at"));
  g_assert_cmpint (test_obj_int (json_array_get_object_element (results (first), 1), "seq"), ==, seqs[3]);
  next = test_obj_int (test_response_object (first), "next_before");
  g_assert_cmpint (next, ==, test_obj_int (json_array_get_object_element (results (first), 1), "cursor"));

  query = g_strdup_printf ("q=parcel%%20arrived&limit=2&before=%" G_GINT64_FORMAT, next);
  second = search (world, world->token, query);
  test_assert_http_status (second, 200);
  g_assert_cmpint (test_obj_int (json_array_get_object_element (results (second), 0), "seq"), ==, seqs[2]);
  g_assert_cmpint (test_obj_int (json_array_get_object_element (results (second), 1), "seq"), ==, seqs[1]);

  g_clear_pointer (&query, g_free);
  query = g_strdup_printf ("q=parcel%%20arrived&limit=2&before=%" G_GINT64_FORMAT,
                           test_obj_int (test_response_object (second), "next_before"));
  last = search (world, world->token, query);
  g_assert_cmpuint (json_array_get_length (results (last)), ==, 1);
  g_assert_cmpint (test_obj_int (json_array_get_object_element (results (last), 0), "seq"), ==, seqs[0]);
  g_assert_true (test_obj_is_null (test_response_object (last), "next_before"));

  /* diacritics and case do not matter; the last word may be a beginning */
  accents = search (world, world->token, "q=zurich%20arrive");
  g_assert_cmpuint (json_array_get_length (results (accents)), ==, 1);
  hit = json_array_get_object_element (results (accents), 0);
  g_assert_cmpstr (test_obj_string (hit, "sender.type"), ==, "agent");
  g_assert_cmpstr (test_obj_string (hit, "sender.name"), ==, "Owner a");
  prefix = search (world, world->token, "q=num");
  g_assert_cmpuint (json_array_get_length (results (prefix)), ==, 5);

  g_clear_pointer (&query, g_free);
  query = g_strdup_printf ("q=colis&site_id=%s", world->site_id);
  by_site = search (world, world->token, query);
  g_assert_cmpuint (json_array_get_length (results (by_site)), ==, 1);

  /* a long message: at most 200 characters of plain text around the match, cut with … */
  {
    g_autofree char *before_text = g_strnfill (300, 'a');
    g_autofree char *after_text = g_strnfill (300, 'b');
    g_autofree char *body = g_strdup_printf ("%s <b>needle</b> %s", before_text, after_text);
    g_autoptr(TestResponse) long_hit = NULL;
    const char *snippet;

    test_agent_say (world->agent, conversation_id, body);
    long_hit = search (world, world->token, "q=needle");
    g_assert_cmpuint (json_array_get_length (results (long_hit)), ==, 1);
    snippet = test_obj_string (json_array_get_object_element (results (long_hit), 0), "snippet");
    g_assert_cmpint (g_utf8_strlen (snippet, -1), <=, 200);
    g_assert_true (g_str_has_prefix (snippet, "…"));
    g_assert_true (g_str_has_suffix (snippet, "…"));
    g_assert_nonnull (strstr (snippet, "<b>needle</b>"));
  }
}

/* Another site's owner finds nothing of this site's, even naming it; nothing in q is syntax. */
static void
test_search_isolation (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *other_token = NULL, *other_site = NULL, *other_key = NULL, *query = NULL;
  g_autoptr(TestWs) other_visitor = NULL;
  g_autoptr(JsonObject) welcome = NULL;
  g_autoptr(TestResponse) mine = NULL, theirs = NULL, named = NULL, syntax = NULL, none = NULL;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_world_add_tenant (world, "b", &other_token, &other_site, &other_key);
  other_visitor = test_ws_widget (world->relay, other_key);
  welcome = test_visitor_hello (other_visitor, NULL, NULL, "https://b.test/");
  test_ws_ignore (other_visitor, "agents_online", NULL);

  test_visitor_say (world->visitor, "secret invoice for site a", NULL);
  test_visitor_say (other_visitor, "public invoice for site b", NULL);

  mine = search (world, world->token, "q=invoice");
  g_assert_cmpuint (json_array_get_length (results (mine)), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (results (mine), 0), "snippet"), ==,
                   "secret invoice for site a");
  theirs = search (world, other_token, "q=invoice");
  g_assert_cmpuint (json_array_get_length (results (theirs)), ==, 1);
  g_assert_cmpstr (test_obj_string (json_array_get_object_element (results (theirs), 0), "site_id"), ==,
                   other_site);

  query = g_strdup_printf ("q=secret&site_id=%s", world->site_id);
  named = search (world, other_token, query);
  test_assert_http_status (named, 200);
  g_assert_cmpuint (json_array_get_length (results (named)), ==, 0);

  /* FTS5 syntax is only text: no error, no match of everything */
  syntax = search (world, world->token, "q=invoice%20OR%20*%20NEAR(%22x%22");
  test_assert_http_status (syntax, 200);
  g_assert_cmpuint (json_array_get_length (results (syntax)), ==, 0);
  none = search (world, world->token, "q=nothinglikethis");
  g_assert_cmpuint (json_array_get_length (results (none)), ==, 0);
  g_assert_true (test_obj_is_null (test_response_object (none), "next_before"));

  /* without a token: 401; a visitor's token is no user's */
  {
    g_autoptr(TestResponse) anonymous = search (world, NULL, "q=invoice");
    g_autoptr(TestResponse) visitor = search (world, world->visitor_token, "q=invoice");

    test_assert_http_status (anonymous, 401);
    test_assert_http_status (visitor, 401);
  }
}

static void
test_search_bad_input (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR);
  g_autofree char *long_q = g_strnfill (201, 'a');
  g_autofree char *long_query = g_strdup_printf ("q=%s", long_q);
  static const char * const bad[] = { "", "q=", "q=%20%3F%21", "q=a&limit=0", "q=a&limit=101",
                                      "q=a&before=x", "q=a&before=0" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TestResponse) response = search (world, world->token, bad[i]);

      g_test_message ("%s", bad[i]);
      test_assert_http_error (response, 400, "invalid_value");
    }
  {
    g_autoptr(TestResponse) response = search (world, world->token, long_query);
    test_assert_http_error (response, 400, "invalid_value");
  }
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "POST", "/api/v1/search?q=a",
                                                  world->token, "{}", NULL);
    test_assert_http_error (response, 405, "method_not_allowed");
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/search/paging", test_search_paging);
  test_harness_add ("/relay/search/isolation", test_search_isolation);
  test_harness_add ("/relay/search/bad-input", test_search_bad_input);

  return g_test_run ();
}
