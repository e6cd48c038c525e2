/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-engage.c: contacts and their lead score, goals, and what triggers look like on the
 * wire (issue 16). The frames are the hub's (hub/confab-hub-engage.c), the routes the API's
 * (api/confab-api-engage.c). */
#define G_LOG_DOMAIN "confab-engage"

#include "confab-engage.h"
#include "confab-faq.h"
#include "confab-targets.h"
#include "confab-util.h"

#include <string.h>

/* how many of the visitor's latest pages the score reads: more than it needs to reach its caps
 * (10 pages, 10 minutes), and a bound on the work */
#define SCORE_PAGES 50

gint
confab_lead_score (guint    pages,
                   gint64   seconds,
                   gboolean asked_price,
                   gboolean returning,
                   gboolean email_known,
                   gboolean reached_goal)
{
  gint score = 0;

  score += MIN (pages, 10) * 3;
  score += (gint) MIN (MAX (seconds, 0) / 60, 10) * 2;
  score += asked_price ? 20 : 0;
  score += returning ? 10 : 0;
  score += email_known ? 10 : 0;
  score += reached_goal ? 20 : 0;
  return MIN (score, 100);
}

/* Words as confab_faq_terms () gives them (lower case, no diacritics); a word asks about prices
 * when it begins with one of these. */
static const char * const price_words[] = {
  /* English */
  "price", "pricing", "cost", "discount", "quote", "quotation", "how much", "fee", "fees",
  /* German */
  "preis", "kosten", "kostet", "rabatt", "angebot", "gebuhr",
  /* French */
  "prix", "cout", "coute", "tarif", "remise", "devis", "reduction",
  /* Spanish */
  "precio", "costo", "cuesta", "cuanto vale", "descuento", "presupuesto", "cotizacion",
};

gboolean
confab_asks_price (const char *text)
{
  g_auto (GStrv) terms = NULL;

  if (text == NULL)
    return FALSE;
  terms = confab_faq_terms (text);
  for (guint i = 0; terms != NULL && terms[i] != NULL; i++)
    for (guint j = 0; j < G_N_ELEMENTS (price_words); j++)
      {
        const char *word = price_words[j], *space = strchr (word, ' ');

        /* a phrase: this word and the next ("how much") */
        if (space != NULL)
          {
            if (terms[i + 1] != NULL && strncmp (terms[i], word, space - word) == 0 &&
                terms[i][space - word] == '\0' && strcmp (terms[i + 1], space + 1) == 0)
              return TRUE;
            continue;
          }
        /* short words whole ("fee", not "feedback"), longer ones as stems ("prices") */
        if (strlen (word) <= 4 ? strcmp (terms[i], word) == 0 : g_str_has_prefix (terms[i], word))
          return TRUE;
      }
  return FALSE;
}

/* The score from what is stored of the visitor: its time on the site counts up to now while it
 * is online (its current page has no left_at yet). */
static gint
score_of (const ConfabVisitor *visitor,
          gboolean             online,
          const ConfabContact *contact,
          GPtrArray           *goals,
          GPtrArray           *pages,
          gint64              *out_seconds)
{
  gint64 now = confab_clock_now_ms (), seconds = 0;

  for (guint i = 0; pages != NULL && i < pages->len; i++)
    {
      ConfabPageView *view = g_ptr_array_index (pages, i);
      gint64 until = view->left_at > 0 ? view->left_at : (online ? now : visitor->last_seen);

      seconds += MAX (0, until - view->at) / 1000;
    }
  if (out_seconds != NULL)
    *out_seconds = seconds;
  return confab_lead_score (pages != NULL ? pages->len : 0, seconds,
                            contact != NULL && contact->asked_price, visitor->visits > 1,
                            visitor->email != NULL && *visitor->email != '\0',
                            goals != NULL && goals->len > 0);
}

/* The list sorts by the stored score: kept as the visitor is now. A visitor without a contact
 * row gets one once they score (else they would sort below every stored score). */
static gboolean
store_score (ConfabStore         *store,
             const ConfabVisitor *visitor,
             const ConfabContact *contact,
             gint                 score,
             gboolean            *out_changed,
             GError             **error)
{
  ConfabContactChange change = { .asked_price = -1, .lead_score = score };

  *out_changed = contact != NULL ? contact->lead_score != score : score > 0;
  if (!*out_changed)
    return TRUE;
  return confab_store_put_contact (store, visitor->site_id, visitor->id, &change, error);
}

gboolean
confab_engage_refresh_lead_score (ConfabStore         *store,
                                  const ConfabVisitor *visitor,
                                  gboolean             online,
                                  gboolean            *out_changed,
                                  gint64              *out_seconds,
                                  GError             **error)
{
  g_autoptr (ConfabContact) contact = NULL;
  g_autoptr (GPtrArray) goals = NULL;
  g_autoptr (GPtrArray) pages = NULL;
  GError *local_error = NULL;
  gint score;

  *out_changed = FALSE;
  contact = confab_store_get_contact (store, visitor->id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  goals = confab_store_list_goals (store, visitor->id, 1, error);
  if (goals == NULL)
    return FALSE;
  pages = confab_store_list_page_views (store, visitor->id, SCORE_PAGES, error);
  if (pages == NULL)
    return FALSE;
  score = score_of (visitor, online, contact, goals, pages, out_seconds);
  return store_score (store, visitor, contact, score, out_changed, error);
}

void
confab_engage_visitor_json (ConfabStore         *store,
                            const ConfabVisitor *visitor,
                            gboolean             online,
                            JsonObject          *object)
{
  g_autoptr (ConfabContact) contact = NULL;
  g_autoptr (GPtrArray) goals = NULL;
  g_autoptr (GPtrArray) pages = NULL;
  JsonArray *tags = json_array_new ();
  JsonArray *goal_list = json_array_new ();
  gboolean changed = FALSE;
  gint score;

  contact = confab_store_get_contact (store, visitor->id, NULL);
  goals = confab_store_list_goals (store, visitor->id, CONFAB_VISITOR_GOALS, NULL);
  pages = confab_store_list_page_views (store, visitor->id, SCORE_PAGES, NULL);

  if (contact != NULL && contact->phone != NULL)
    json_object_set_string_member (object, "phone", contact->phone);
  else
    json_object_set_null_member (object, "phone");
  if (contact != NULL && contact->notes != NULL)
    json_object_set_string_member (object, "notes", contact->notes);
  else
    json_object_set_null_member (object, "notes");
  for (guint i = 0; contact != NULL && contact->tags[i] != NULL; i++)
    json_array_add_string_element (tags, contact->tags[i]);
  json_object_set_array_member (object, "tags", tags);

  for (guint i = 0; goals != NULL && i < goals->len; i++)
    {
      ConfabGoal *goal = g_ptr_array_index (goals, i);
      JsonObject *item = json_object_new ();
      g_autofree char *at = confab_format_time (goal->at);

      json_object_set_string_member (item, "name", goal->name);
      if (goal->has_value)
        json_object_set_double_member (item, "value", goal->value);
      else
        json_object_set_null_member (item, "value");
      json_object_set_string_member (item, "at", at);
      json_array_add_object_element (goal_list, item);
    }
  json_object_set_array_member (object, "goals", goal_list);

  score = score_of (visitor, online, contact, goals, pages, NULL);
  json_object_set_int_member (object, "lead_score", score);

  {
    g_autoptr (GError) error = NULL;

    if (!store_score (store, visitor, contact, score, &changed, &error))
      g_warning ("Cannot store the lead score of visitor %s: %s", visitor->id, error->message);
  }
}

/* --- triggers ------------------------------------------------------------------------------- */

static JsonNode *
parse_or_null (const char *json)
{
  JsonNode *node = json != NULL ? json_from_string (json, NULL) : NULL;

  return node != NULL ? node : json_node_new (JSON_NODE_NULL);
}

JsonObject *
confab_trigger_to_json (const ConfabTrigger *trigger,
                        gboolean             for_widget)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created_at = NULL;

  json_object_set_string_member (object, "id", trigger->id);
  json_object_set_member (object, "conditions", parse_or_null (trigger->conditions_json));
  if (for_widget)
    return object;

  created_at = confab_format_time (trigger->created_at);
  json_object_set_string_member (object, "site_id", trigger->site_id);
  json_object_set_string_member (object, "name", trigger->name);
  json_object_set_boolean_member (object, "enabled", trigger->enabled);
  json_object_set_member (object, "message", parse_or_null (trigger->message_json));
  json_object_set_member (object, "sender", parse_or_null (trigger->sender_json));
  json_object_set_boolean_member (object, "ask_email", trigger->ask_email);
  json_object_set_string_member (object, "created_at", created_at);
  return object;
}

char *
confab_trigger_text (const ConfabTrigger *trigger,
                     const char          *locale)
{
  g_autoptr (JsonNode) node = parse_or_null (trigger->message_json);
  JsonObject *texts;
  g_autofree char *primary = NULL;
  g_autoptr (GList) members = NULL;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return g_strdup ("");

  texts = json_node_get_object (node);
  if (locale != NULL && json_object_has_member (texts, locale))
    return g_strdup (json_object_get_string_member (texts, locale));
  if (locale != NULL)
    {
      primary = g_strdup (locale);
      primary[strcspn (primary, "-_")] = '\0';
      if (json_object_has_member (texts, primary))
        return g_strdup (json_object_get_string_member (texts, primary));
    }
  members = json_object_get_members (texts);
  return g_strdup (members != NULL ? json_object_get_string_member (texts, members->data) : "");
}

JsonArray *
confab_engage_widget_triggers (ConfabStore *store,
                               const char  *site_id)
{
  JsonArray *list = json_array_new ();
  g_autoptr (GPtrArray) triggers = confab_store_list_triggers (store, site_id, NULL);

  for (guint i = 0; triggers != NULL && i < triggers->len; i++)
    {
      ConfabTrigger *trigger = g_ptr_array_index (triggers, i);

      if (trigger->enabled)
        json_array_add_object_element (list, confab_trigger_to_json (trigger, TRUE));
    }
  return list;
}
