/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat.c: notes and labels as JSON, and the @mentions of a note (see confab-chat.h) */
#define G_LOG_DOMAIN "confab-chat"

#include "confab-chat.h"
#include "confab-json.h"
#include "confab-util.h"

#include <string.h>

JsonObject *
confab_note_to_json (const ConfabNote *note)
{
  JsonObject *object = json_object_new ();
  JsonObject *author = json_object_new ();
  g_autofree char *created_at = confab_format_time (note->created_at);
  JsonNode *mentions = json_from_string (note->mentions_json, NULL);

  json_object_set_string_member (object, "id", note->id);
  json_object_set_string_member (object, "conversation_id", note->conversation_id);
  if (note->author_id != NULL)
    json_object_set_string_member (author, "id", note->author_id);
  else
    json_object_set_null_member (author, "id");
  if (note->author_name != NULL)
    json_object_set_string_member (author, "name", note->author_name);
  else
    json_object_set_null_member (author, "name");
  json_object_set_object_member (object, "author", author);
  json_object_set_string_member (object, "body", note->body);
  if (mentions != NULL && JSON_NODE_HOLDS_ARRAY (mentions))
    json_object_set_member (object, "mentions", mentions);
  else
    {
      g_clear_pointer (&mentions, json_node_unref);
      json_object_set_array_member (object, "mentions", json_array_new ());
    }
  json_object_set_string_member (object, "created_at", created_at);
  return object;
}

JsonObject *
confab_label_to_json (const ConfabLabel *label)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "id", label->id);
  json_object_set_string_member (object, "site_id", label->site_id);
  json_object_set_string_member (object, "name", label->name);
  json_object_set_string_member (object, "color", label->color);
  return object;
}

JsonArray *
confab_conversation_labels_json (ConfabStore *store,
                                 const char  *conversation_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) labels = confab_store_list_conversation_labels (store, conversation_id, &error);
  JsonArray *array = json_array_new ();

  if (labels == NULL)
    {
      g_warning ("Cannot read the labels of %s: %s", conversation_id, error->message);
      return array;
    }
  for (guint i = 0; i < labels->len; i++)
    {
      ConfabLabel *label = g_ptr_array_index (labels, i);
      JsonObject *object = json_object_new ();

      json_object_set_string_member (object, "id", label->id);
      json_object_set_string_member (object, "name", label->name);
      json_object_set_string_member (object, "color", label->color);
      json_array_add_object_element (array, object);
    }
  return array;
}

JsonArray *
confab_site_labels_json (ConfabStore  *store,
                         const char   *site_id,
                         GError      **error)
{
  g_autoptr (GPtrArray) labels = confab_store_list_labels (store, site_id, error);
  JsonArray *array;

  if (labels == NULL)
    return NULL;
  array = json_array_new ();
  for (guint i = 0; i < labels->len; i++)
    json_array_add_object_element (array, confab_label_to_json (g_ptr_array_index (labels, i)));
  return array;
}

/* Whether @name (case-folded) is at @at in @text (case-folded) and ends at a word boundary. */
static gboolean
name_at (const char *at,
         const char *name)
{
  gsize length = strlen (name);
  gunichar next;

  if (length == 0 || strncmp (at, name, length) != 0)
    return FALSE;
  next = g_utf8_get_char (at + length);
  return next == 0 || !g_unichar_isalnum (next);
}

static char *
first_word (const char *name)
{
  const char *end = name;

  while (*end != '\0' && !g_unichar_isspace (g_utf8_get_char (end)))
    end = g_utf8_next_char (end);
  return g_strndup (name, end - name);
}

char *
confab_note_mentions (ConfabStore  *store,
                      const char   *site_id,
                      const char   *body,
                      GError      **error)
{
  g_autoptr (GPtrArray) members = confab_store_list_members (store, site_id, error);
  g_autoptr (GPtrArray) names = NULL;    /* case-folded full names, by member */
  g_autoptr (GPtrArray) firsts = NULL;   /* case-folded first words, by member */
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (JsonArray) mentions = json_array_new ();
  g_autofree char *text = NULL;
  gunichar before = 0;

  if (members == NULL)
    return NULL;

  names = g_ptr_array_new_with_free_func (g_free);
  firsts = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < members->len; i++)
    {
      ConfabMember *member = g_ptr_array_index (members, i);
      char *name = member->name != NULL ? g_utf8_casefold (member->name, -1) : g_strdup ("");

      g_ptr_array_add (names, name);
      g_ptr_array_add (firsts, first_word (name));
    }

  text = g_utf8_casefold (body, -1);
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      int found = -1;
      gsize longest = 0;

      if (c != '@' || (before != 0 && g_unichar_isalnum (before)))
        {
          before = c;
          continue;
        }
      before = c;

      /* the longest full name first: "@Ann Lee" is Ann Lee even when "Ann" is a member too */
      for (guint i = 0; i < members->len; i++)
        {
          const char *name = g_ptr_array_index (names, i);

          if (strlen (name) > longest && name_at (p + 1, name))
            {
              found = (int) i;
              longest = strlen (name);
            }
        }
      /* else a first name that is only one member's */
      if (found < 0)
        for (guint i = 0; i < members->len; i++)
          {
            const char *word = g_ptr_array_index (firsts, i);

            if (!name_at (p + 1, word))
              continue;
            if (found >= 0)
              {
                found = -2;
                break;
              }
            found = (int) i;
          }

      if (found >= 0)
        {
          ConfabMember *member = g_ptr_array_index (members, found);

          if (!g_hash_table_contains (seen, member->user_id))
            {
              JsonObject *mention = json_object_new ();

              g_hash_table_add (seen, member->user_id);
              json_object_set_string_member (mention, "id", member->user_id);
              json_object_set_string_member (mention, "name", member->name ? member->name : "");
              json_array_add_object_element (mentions, mention);
            }
        }
    }

  {
    g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

    json_node_set_array (node, mentions);
    return json_to_string (node, FALSE);
  }
}
