/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-faq.c: /sites/{id}/faqs and /faqs/{id} — the FAQs the bot answers from */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-admin.h"
#include "confab-assistant.h"
#include "confab-faq.h"
#include "confab-hub-admin.h"
#include "confab-json.h"
#include "confab-util.h"

#include <string.h>

#define MAX_QUESTION_CHARS 500
#define MAX_ANSWER_CHARS   4000
#define MAX_KEYWORDS       20
#define MAX_KEYWORD_CHARS  50
#define MAX_SYNONYMS       50
#define MAX_SYNONYM_CHARS  50
#define MAX_QUERY_CHARS    4000
#define SEARCH_RESULTS     10

static const char * const faq_fields[] = { "question", "answer", "keywords", "synonyms", NULL };

static JsonObject *
faq_to_json (const ConfabFaq *faq)
{
  JsonObject *object = json_object_new ();
  JsonArray *keywords = json_array_new ();
  g_autofree char *created_at = confab_format_time (faq->created_at);
  g_autofree char *updated_at = confab_format_time (faq->updated_at);

  for (guint i = 0; faq->keywords[i]; i++)
    json_array_add_string_element (keywords, faq->keywords[i]);

  json_object_set_string_member (object, "id", faq->id);
  json_object_set_string_member (object, "site_id", faq->site_id);
  json_object_set_string_member (object, "question", faq->question);
  json_object_set_string_member (object, "answer", faq->answer);
  json_object_set_array_member (object, "keywords", keywords);
  {
    JsonArray *synonyms = json_array_new ();

    for (guint i = 0; faq->synonyms && faq->synonyms[i]; i++)
      json_array_add_string_element (synonyms, faq->synonyms[i]);
    json_object_set_array_member (object, "synonyms", synonyms);
  }
  json_object_set_int_member (object, "views", faq->views);
  json_object_set_int_member (object, "helpful", faq->helpful);
  json_object_set_int_member (object, "not_helpful", faq->not_helpful);
  json_object_set_string_member (object, "created_at", created_at);
  json_object_set_string_member (object, "updated_at", updated_at);
  return object;
}

static void
answer_faq (ConfabApiCall   *call,
            guint            status,
            const ConfabFaq *faq)
{
  g_autoptr (JsonObject) answer = faq_to_json (faq);

  confab_http_json_object (call->msg, status, answer);
}

/* "keywords": at most 20 strings of 1 to 50 characters; "synonyms": at most 50. */
static gboolean
read_words (ConfabApiCall   *call,
            JsonObject      *body,
            const char      *name,
            guint            max_count,
            guint            max_chars,
            char          ***out_words)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) words = NULL;

  *out_words = NULL;
  if (!confab_json_get_strv (body, name, FALSE, &words, &error))
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  if (words == NULL)
    return TRUE;

  if (g_strv_length (words) > max_count)
    {
      g_autofree char *message = g_strdup_printf ("“%s” may list at most %u words or phrases",
                                                  name, max_count);
      confab_api_bad_value (call, message);
      return FALSE;
    }
  for (guint i = 0; words[i]; i++)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (words[i]));

      if (*trimmed == '\0' || confab_utf8_length (words[i]) > max_chars)
        {
          g_autofree char *message = g_strdup_printf ("Each of “%s” must be 1 to %u characters",
                                                      name, max_chars);
          confab_api_bad_value (call, message);
          return FALSE;
        }
    }

  *out_words = g_steal_pointer (&words);
  return TRUE;
}

static gboolean
read_keywords (ConfabApiCall   *call,
               JsonObject      *body,
               char          ***out_keywords)
{
  return read_words (call, body, "keywords", MAX_KEYWORDS, MAX_KEYWORD_CHARS, out_keywords);
}

static gboolean
read_synonyms (ConfabApiCall   *call,
               JsonObject      *body,
               char          ***out_synonyms)
{
  return read_words (call, body, "synonyms", MAX_SYNONYMS, MAX_SYNONYM_CHARS, out_synonyms);
}

static void
faq_detail (JsonObject      *detail,
            const ConfabFaq *faq)
{
  json_object_set_string_member (detail, "faq_id", faq->id);
}

/* GET ?q=: what the bot would answer, with scores — for admins trying their FAQs out. */
static void
faqs_search (ConfabApiCall *call,
             ConfabSite    *site,
             const char    *text)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) matches = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  if (!g_utf8_validate (text, -1, NULL) || confab_utf8_length (text) > MAX_QUERY_CHARS)
    return confab_api_bad_value (call, "“q” must be text of at most 4000 characters");

  matches = confab_faq_search (call->relay->store, site->id, text, SEARCH_RESULTS, &error);
  if (matches == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < matches->len; i++)
    {
      ConfabFaqMatch *match = g_ptr_array_index (matches, i);
      JsonObject *entry = faq_to_json (match->faq);

      json_object_set_int_member (entry, "score", match->score);
      json_array_add_object_element (list, entry);
    }
  json_object_set_array_member (answer, "faqs", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

/* The site's FAQs as GET /sites/{id}/faqs lists them (without a query). */
static JsonArray *
faqs_list_json (ConfabStore  *store,
                const char   *site_id,
                GError      **error)
{
  g_autoptr (GPtrArray) faqs = confab_store_list_faqs (store, site_id, error);
  JsonArray *list;

  if (faqs == NULL)
    return NULL;
  list = json_array_new ();
  for (guint i = 0; i < faqs->len; i++)
    json_array_add_object_element (list, faq_to_json (g_ptr_array_index (faqs, i)));
  return list;
}

/* After any change: every connected member of the site gets the whole list. */
static void
push_faqs (ConfabApiCall *call,
           const char    *site_id)
{
  g_autoptr (GError) error = NULL;
  JsonArray *list = faqs_list_json (call->relay->store, site_id, &error);

  if (list == NULL)
    g_warning ("Cannot tell the team of the FAQs: %s", error->message);
  else
    confab_hub_push_list (call->relay->hub, site_id, "faqs", list);
  confab_assistant_knowledge_changed (call->relay->assistant, site_id);
}

static void
faqs_list (ConfabApiCall *call,
           ConfabSite    *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GError) error = NULL;
  const char *text = call->query ? g_hash_table_lookup (call->query, "q") : NULL;
  JsonArray *list;

  if (text != NULL)
    return faqs_search (call, site, text);

  list = faqs_list_json (call->relay->store, site->id, &error);
  if (list == NULL)
    return confab_http_gerror (call->msg, error);

  json_object_set_array_member (answer, "faqs", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

static void
faqs_create (ConfabApiCall *call,
             ConfabSite    *site)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabFaq) faq = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) keywords = NULL;
  g_auto (GStrv) synonyms = NULL;
  const char *question = NULL, *answer = NULL;

  if (!confab_api_require_admin (call, site->role))
    return;
  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, faq_fields) ||
      !confab_api_text_field (call, body, "question", TRUE, 1, MAX_QUESTION_CHARS, &question) ||
      !confab_api_text_field (call, body, "answer", TRUE, 1, MAX_ANSWER_CHARS, &answer) ||
      !read_keywords (call, body, &keywords) ||
      !read_synonyms (call, body, &synonyms))
    return;

  faq = confab_store_create_faq (call->relay->store, site->id, question, answer,
                                 (const char * const *) keywords, &error);
  if (faq == NULL)
    return confab_http_gerror (call->msg, error);
  if (synonyms != NULL && synonyms[0] != NULL)
    {
      ConfabFaq *with_synonyms = NULL;

      if (!confab_store_set_faq_synonyms (call->relay->store, faq->id,
                                          (const char * const *) synonyms, &error) ||
          (with_synonyms = confab_store_get_faq (call->relay->store, faq->id, &error)) == NULL)
        {
          /* no FAQ half made: the one without its synonyms goes again */
          confab_store_delete_faq (call->relay->store, faq->id, NULL);
          return confab_http_gerror (call->msg, error);
        }
      confab_faq_free (faq);
      faq = with_synonyms;
    }

  faq_detail (detail, faq);
  confab_api_audit (call, site->id, "faq.created", "faq", faq->id, faq->question, detail);
  push_faqs (call, site->id);
  answer_faq (call, SOUP_STATUS_CREATED, faq);
}

void
confab_api_site_faqs (ConfabApiCall  *call,
                      ConfabSite     *site,
                      char          **rest)
{
  if (rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    return faqs_list (call, site);
  if (confab_api_method_is (call, "POST"))
    return faqs_create (call, site);
  confab_api_method_not_allowed (call, "GET, POST");
}

static void
faq_patch (ConfabApiCall *call,
           ConfabFaq     *faq)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) detail = json_object_new ();
  g_autoptr (ConfabFaq) updated = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) keywords = NULL;
  g_auto (GStrv) synonyms = NULL;
  const char *question = NULL, *answer = NULL;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, faq_fields) ||
      !confab_api_text_field (call, body, "question", FALSE, 1, MAX_QUESTION_CHARS, &question) ||
      !confab_api_text_field (call, body, "answer", FALSE, 1, MAX_ANSWER_CHARS, &answer) ||
      !read_keywords (call, body, &keywords) ||
      !read_synonyms (call, body, &synonyms))
    return;

  if (synonyms != NULL &&
      !confab_store_set_faq_synonyms (call->relay->store, faq->id,
                                      (const char * const *) synonyms, &error))
    return confab_http_gerror (call->msg, error);
  updated = confab_store_update_faq (call->relay->store, faq->id, question, answer,
                                     (const char * const *) keywords, &error);
  if (updated == NULL)
    return confab_http_gerror (call->msg, error);

  faq_detail (detail, faq);
  {
    g_autoptr (GList) keys = json_object_get_members (body);
    JsonArray *changed = json_array_new ();

    for (GList *l = keys; l; l = l->next)
      json_array_add_string_element (changed, l->data);
    json_object_set_array_member (detail, "changed", changed);
  }
  confab_api_audit (call, faq->site_id, "faq.updated", "faq", faq->id, updated->question, detail);
  push_faqs (call, faq->site_id);
  answer_faq (call, SOUP_STATUS_OK, updated);
}

void
confab_api_faq (ConfabApiCall  *call,
                const char     *faq_id,
                char          **rest)
{
  g_autoptr (ConfabFaq) faq = confab_store_get_faq (call->relay->store, faq_id, NULL);
  g_autoptr (GError) error = NULL;
  ConfabRole role;

  /* unknown and foreign FAQs look the same */
  if (faq == NULL || (role = confab_api_role (call, faq->site_id)) == CONFAB_ROLE_NONE ||
      rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    return answer_faq (call, SOUP_STATUS_OK, faq);

  if (!confab_api_method_is (call, "PATCH") && !confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "GET, PATCH, DELETE");
  if (!confab_api_require_admin (call, role))
    return;

  if (confab_api_method_is (call, "PATCH"))
    return faq_patch (call, faq);

  if (!confab_store_delete_faq (call->relay->store, faq->id, &error))
    return confab_http_gerror (call->msg, error);
  {
    g_autoptr (JsonObject) detail = json_object_new ();

    faq_detail (detail, faq);
    confab_api_audit (call, faq->site_id, "faq.deleted", "faq", faq->id, faq->question, detail);
  }
  push_faqs (call, faq->site_id);
  confab_api_no_content (call);
}
