/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-chat.c: a conversation's internal notes and labels, the site's labels, and search
 * over the messages of the user's sites (issue 14) */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-chat.h"
#include "confab-chat.h"
#include "confab-faq.h"
#include "confab-hub-admin.h"
#include "confab-hub-chat.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-util.h"

#include <string.h>

#define MAX_LABEL_CHARS     50
#define MAX_LABELS          100   /* on one conversation */
#define MAX_QUERY_CHARS     200
#define MAX_SNIPPET_CHARS   200
#define DEFAULT_SEARCH_PAGE 20
#define MAX_SEARCH_PAGE     100

static const char * const label_fields[] = { "name", "color", NULL };
static const char * const conversation_label_fields[] = { "label_ids", NULL };

/* --- notes -------------------------------------------------------------------------------- */

static void
conversation_notes (ConfabApiCall            *call,
                    const ConfabConversation *conversation)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) notes = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");

  notes = confab_store_list_notes (call->relay->store, conversation->id, &error);
  if (notes == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < notes->len; i++)
    json_array_add_object_element (list, confab_note_to_json (g_ptr_array_index (notes, i)));
  json_object_set_array_member (answer, "notes", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

/* --- labels ------------------------------------------------------------------------------- */

static gboolean
read_color (ConfabApiCall  *call,
            JsonObject     *body,
            gboolean        required,
            const char    **out_color)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (!confab_json_get_string (body, "color", required, out_color, &error))
    {
      confab_http_gerror (call->msg, error);
      return FALSE;
    }
  if (*out_color == NULL)
    return TRUE;

  ok = strlen (*out_color) == 7 && (*out_color)[0] == '#';
  for (guint i = 1; ok && i < 7; i++)
    ok = g_ascii_isxdigit ((*out_color)[i]);
  if (!ok)
    {
      confab_api_bad_value (call, "“color” must be a colour as \"#rrggbb\"");
      return FALSE;
    }
  return TRUE;
}

/* Store errors, with a taken name as 409 conflict. */
static void
label_failed (ConfabApiCall *call,
              const GError  *error)
{
  if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    confab_http_error (call->msg, SOUP_STATUS_CONFLICT, "conflict",
                       "This site already has a label with this name");
  else
    confab_http_gerror (call->msg, error);
}

static void
answer_label (ConfabApiCall     *call,
              guint              status,
              const ConfabLabel *label)
{
  g_autoptr (JsonObject) answer = confab_label_to_json (label);

  confab_http_json_object (call->msg, status, answer);
}

static void
audit_label (ConfabApiCall     *call,
             const char        *action,
             const ConfabLabel *label)
{
  g_autoptr (JsonObject) detail = json_object_new ();

  json_object_set_string_member (detail, "label_id", label->id);
  json_object_set_string_member (detail, "name", label->name);
  json_object_set_string_member (detail, "color", label->color);
  confab_api_audit (call, label->site_id, action, "label", label->id, label->name, detail);
}

/* After any change: every connected member of the site gets the whole list, as canned. */
static void
push_labels (ConfabApiCall *call,
             const char    *site_id)
{
  g_autoptr (GError) error = NULL;
  JsonArray *list = confab_site_labels_json (call->relay->store, site_id, &error);

  if (list == NULL)
    g_warning ("Cannot tell the team of the labels: %s", error->message);
  else
    confab_hub_push_list (call->relay->hub, site_id, "labels", list);
}

static void
labels_create (ConfabApiCall *call,
               ConfabSite    *site)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabLabel) label = NULL;
  g_autoptr (GError) error = NULL;
  const char *name = NULL, *color = NULL;

  if (!confab_api_require_admin (call, site->role))
    return;
  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, label_fields) ||
      !confab_api_text_field (call, body, "name", TRUE, 1, MAX_LABEL_CHARS, &name) ||
      !read_color (call, body, TRUE, &color))
    return;

  label = confab_store_create_label (call->relay->store, site->id, name, color, &error);
  if (label == NULL)
    return label_failed (call, error);

  audit_label (call, "label.created", label);
  push_labels (call, site->id);
  answer_label (call, SOUP_STATUS_CREATED, label);
}

void
confab_api_site_labels (ConfabApiCall  *call,
                        ConfabSite     *site,
                        char          **rest)
{
  if (rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    {
      g_autoptr (JsonObject) answer = json_object_new ();
      g_autoptr (GError) error = NULL;
      JsonArray *list = confab_site_labels_json (call->relay->store, site->id, &error);

      if (list == NULL)
        return confab_http_gerror (call->msg, error);
      json_object_set_array_member (answer, "labels", list);
      return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
    }
  if (confab_api_method_is (call, "POST"))
    return labels_create (call, site);
  confab_api_method_not_allowed (call, "GET, POST");
}

static void
label_patch (ConfabApiCall *call,
             ConfabLabel   *label)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabLabel) updated = NULL;
  g_autoptr (GError) error = NULL;
  const char *name = NULL, *color = NULL;

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, label_fields) ||
      !confab_api_text_field (call, body, "name", FALSE, 1, MAX_LABEL_CHARS, &name) ||
      !read_color (call, body, FALSE, &color))
    return;

  updated = confab_store_update_label (call->relay->store, label->id, name, color, &error);
  if (updated == NULL)
    return label_failed (call, error);

  audit_label (call, "label.updated", updated);
  push_labels (call, label->site_id);
  answer_label (call, SOUP_STATUS_OK, updated);
}

void
confab_api_label (ConfabApiCall  *call,
                  const char     *label_id,
                  char          **rest)
{
  g_autoptr (ConfabLabel) label = confab_store_get_label (call->relay->store, label_id, NULL);
  g_autoptr (GError) error = NULL;
  ConfabRole role;

  /* unknown and foreign ids look the same */
  if (label == NULL || (role = confab_api_role (call, label->site_id)) == CONFAB_ROLE_NONE ||
      rest[0] != NULL)
    return confab_api_not_found (call);

  if (confab_api_method_is (call, "GET"))
    return answer_label (call, SOUP_STATUS_OK, label);
  if (!confab_api_method_is (call, "PATCH") && !confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "GET, PATCH, DELETE");
  if (!confab_api_require_admin (call, role))
    return;

  if (confab_api_method_is (call, "PATCH"))
    return label_patch (call, label);

  if (!confab_store_delete_label (call->relay->store, label->id, &error))
    return confab_http_gerror (call->msg, error);
  audit_label (call, "label.deleted", label);
  push_labels (call, label->site_id);
  confab_api_no_content (call);
}

/* PUT /conversations/{id}/labels {"label_ids":[…]}: any member; the conversation back. */
static void
conversation_labels (ConfabApiCall            *call,
                     const ConfabConversation *conversation)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *array;

  if (confab_api_method_is (call, "GET"))
    {
      g_autoptr (JsonObject) answer = json_object_new ();

      json_object_set_array_member (answer, "labels",
                                    confab_conversation_labels_json (call->relay->store,
                                                                     conversation->id));
      return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
    }
  if (!confab_api_method_is (call, "PUT"))
    return confab_api_method_not_allowed (call, "GET, PUT");

  if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
      !confab_api_only_fields (call, body, conversation_label_fields))
    return;
  if (!json_object_has_member (body, "label_ids") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (body, "label_ids")))
    return confab_api_bad_value (call, "“label_ids” must be an array of label ids");

  array = json_object_get_array_member (body, "label_ids");
  if (json_array_get_length (array) > MAX_LABELS)
    return confab_api_bad_value (call, "“label_ids” may name at most 100 labels");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return confab_api_bad_value (call, "“label_ids” must be an array of label ids");
      g_ptr_array_add (ids, (gpointer) json_node_get_string (node));
    }
  g_ptr_array_add (ids, NULL);

  updated = confab_hub_set_conversation_labels (call->relay->hub, conversation->site_id,
                                                conversation->id,
                                                (const char * const *) ids->pdata, &error);
  if (updated == NULL)
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        return confab_api_bad_value (call, error->message);
      return confab_http_gerror (call->msg, error);
    }

  {
    g_autoptr (JsonObject) answer = confab_conversation_to_json (call->relay->store, updated,
                                                                 CONFAB_AUDIENCE_AGENT);
    confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
  }
}

gboolean
confab_api_chat_is_conversation_resource (const char *name)
{
  return g_strcmp0 (name, "notes") == 0 || g_strcmp0 (name, "labels") == 0;
}

void
confab_api_chat_conversation_resource (ConfabApiCall            *call,
                                       const ConfabConversation *conversation,
                                       const char               *name)
{
  if (strcmp (name, "notes") == 0)
    return conversation_notes (call, conversation);
  conversation_labels (call, conversation);
}

/* --- search ------------------------------------------------------------------------------- */

/* All of the words of @q, the last one also as the start of a word (as typed so far); each an
 * FTS5 string, so that nothing typed is read as query syntax. NULL when @q has no word. */
static char *
search_match (const char *q)
{
  g_auto (GStrv) terms = confab_faq_terms (q);
  g_autoptr (GString) query = g_string_new (NULL);
  guint n = terms != NULL ? g_strv_length (terms) : 0;

  for (guint i = 0; i < n; i++)
    {
      if (query->len > 0)
        g_string_append_c (query, ' ');
      g_string_append_c (query, '"');
      for (const char *c = terms[i]; *c; c++)
        {
          if (*c == '"')
            g_string_append_c (query, '"');
          g_string_append_c (query, *c);
        }
      g_string_append_c (query, '"');
      if (i == n - 1)
        g_string_append_c (query, '*');
    }
  if (query->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&query), FALSE);
}

/* Lower case without diacritics, as unicode61 remove_diacritics folds a word (and as
 * confab_faq_terms() gives the query's words). */
static char *
fold_word (const char *word,
           gssize      len)
{
  g_autofree char *decomposed = g_utf8_normalize (word, len, G_NORMALIZE_NFD);
  g_autoptr (GString) bare = g_string_new (NULL);

  for (const char *p = decomposed; p != NULL && *p; p = g_utf8_next_char (p))
    if (!g_unichar_ismark (g_utf8_get_char (p)))
      g_string_append_unichar (bare, g_utf8_get_char (p));
  return g_utf8_strdown (bare->str, -1);
}

static gboolean
is_word_char (gunichar c)
{
  return g_unichar_isalnum (c) || g_unichar_ismark (c) || g_unichar_type (c) == G_UNICODE_PRIVATE_USE;
}

/* The character offset of the first word of @body that is one of @terms (the last one also as
 * a beginning), or 0. */
static glong
first_match (const char         *body,
             const char * const *terms)
{
  guint n = g_strv_length ((char **) terms);
  const char *p = body;

  while (*p)
    {
      const char *start;
      g_autofree char *word = NULL;

      while (*p && !is_word_char (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      while (*p && is_word_char (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (p == start)
        break;

      word = fold_word (start, p - start);
      for (guint i = 0; i < n; i++)
        if (strcmp (word, terms[i]) == 0 || (i == n - 1 && g_str_has_prefix (word, terms[i])))
          return g_utf8_pointer_to_offset (body, start);
    }
  return 0;
}

/* Plain text of at most MAX_SNIPPET_CHARS characters around the first match, "…" where cut. */
static char *
make_snippet (const char         *body,
              const char * const *terms)
{
  glong length, at, start, end;
  g_autoptr (GString) snippet = NULL;
  g_autofree char *middle = NULL;

  if (body == NULL)
    return g_strdup ("");
  length = g_utf8_strlen (body, -1);
  if (length <= MAX_SNIPPET_CHARS)
    return g_strdup (body);

  /* some context before the match, the rest after it */
  at = first_match (body, terms);
  start = MAX (0, at - MAX_SNIPPET_CHARS / 3);
  end = MIN (length, start + MAX_SNIPPET_CHARS - 2);
  start = MAX (0, end - (MAX_SNIPPET_CHARS - 2));
  middle = g_utf8_substring (body, start, end);
  snippet = g_string_new (NULL);
  if (start > 0)
    g_string_append (snippet, "…");
  g_string_append (snippet, middle);
  if (end < length)
    g_string_append (snippet, "…");
  return g_string_free (g_steal_pointer (&snippet), FALSE);
}

static gboolean
query_number (ConfabApiCall *call,
              const char    *name,
              gint64         min,
              gint64         max,
              gint64         default_value,
              gint64        *out_value)
{
  const char *text = call->query ? g_hash_table_lookup (call->query, name) : NULL;
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
      confab_api_bad_value (call, message);
      return FALSE;
    }
  *out_value = value;
  return TRUE;
}

void
confab_api_search (ConfabApiCall *call)
{
  const char *q = call->query ? g_hash_table_lookup (call->query, "q") : NULL;
  const char *site_id = call->query ? g_hash_table_lookup (call->query, "site_id") : NULL;
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) hits = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *match = NULL;
  g_auto (GStrv) terms = NULL;
  gint64 limit, before;
  JsonArray *list;

  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");

  if (q == NULL || !g_utf8_validate (q, -1, NULL) || g_utf8_strlen (q, -1) < 1 ||
      g_utf8_strlen (q, -1) > MAX_QUERY_CHARS)
    return confab_api_bad_value (call, "“q” must be 1 to 200 characters");
  if ((match = search_match (q)) == NULL)
    return confab_api_bad_value (call, "“q” has no word to search for");
  terms = confab_faq_terms (q);
  if (!query_number (call, "limit", 1, MAX_SEARCH_PAGE, DEFAULT_SEARCH_PAGE, &limit) ||
      !query_number (call, "before", 1, G_MAXINT64, 0, &before))
    return;
  if (site_id != NULL && *site_id == '\0')
    site_id = NULL;
  /* a site that is not the user's finds nothing, as an unknown one: no 403 to tell them apart */

  hits = confab_store_search_messages (call->relay->store, call->user->id, site_id, match, before,
                                       (guint) limit, &error);
  if (hits == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < hits->len; i++)
    {
      ConfabSearchHit *hit = g_ptr_array_index (hits, i);
      JsonObject *result = json_object_new ();
      JsonObject *sender = json_object_new ();
      g_autofree char *created_at = confab_format_time (hit->created_at);
      g_autofree char *snippet = make_snippet (hit->body, (const char * const *) terms);

      json_object_set_string_member (result, "conversation_id", hit->conversation_id);
      json_object_set_string_member (result, "site_id", hit->site_id);
      json_object_set_int_member (result, "seq", hit->seq);
      json_object_set_int_member (result, "cursor", hit->cursor);
      json_object_set_string_member (sender, "type", confab_sender_to_string (hit->sender_type));
      if (hit->sender_name != NULL)
        json_object_set_string_member (sender, "name", hit->sender_name);
      else
        json_object_set_null_member (sender, "name");
      json_object_set_object_member (result, "sender", sender);
      json_object_set_string_member (result, "snippet", snippet);
      json_object_set_string_member (result, "created_at", created_at);
      json_array_add_object_element (list, result);
    }
  json_object_set_array_member (answer, "results", list);
  if (hits->len == (guint) limit && hits->len > 0)
    json_object_set_int_member (answer, "next_before",
                                ((ConfabSearchHit *) g_ptr_array_index (hits, hits->len - 1))->cursor);
  else
    json_object_set_null_member (answer, "next_before");
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}
