/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-pg-store-everyday.c: issue 14's everyday chat on PostgreSQL — internal notes, labels,
 * search over message bodies, agents' avatars and the widget's team header (the SQLite twins are
 * sqlite/confab-store-notes.c, -labels.c and -search.c; see confab-store-chat.h) */
#define G_LOG_DOMAIN "confab-store-pg"

#include "confab-pg-store-private.h"
#include "confab-store-chat.h"

static void
limit_param (PgParams *params,
             guint     limit)
{
  if (limit > 0)
    pg_int (params, limit);
  else
    pg_text (params, NULL);
}

/* --- internal notes ------------------------------------------------------------------------- */

#define NOTE_COLUMNS "id, conversation_id, author_id, author_name, client_id, body, mentions, created_at"

static ConfabNote *
read_note (PGresult *result,
           int       row)
{
  ConfabNote *note = g_new0 (ConfabNote, 1);

  note->id = pg_dup (result, row, 0);
  note->conversation_id = pg_dup (result, row, 1);
  note->author_id = pg_dup (result, row, 2);
  note->author_name = pg_dup (result, row, 3);
  note->client_id = pg_dup (result, row, 4);
  note->body = pg_dup (result, row, 5);
  note->mentions_json = pg_dup (result, row, 6);
  note->created_at = pg_integer (result, row, 7);
  return note;
}

/* The note @author_id already stored under @client_id, or NULL (error unset) if none. */
static ConfabNote *
find_note (ConfabStore  *store,
           const char   *author_id,
           const char   *client_id,
           GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, author_id);
  pg_text (&params, client_id);
  result = pg_exec (store, "SELECT " NOTE_COLUMNS " FROM notes WHERE author_id = $1 AND client_id = $2",
                    &params, "Cannot read the note", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return read_note (result, 0);
}

/* The same note sent again (after a lost ack) is that note; another under its client id is a
 * conflict. */
static ConfabNote *
same_note (ConfabNote  *earlier,
           const char  *conversation_id,
           const char  *body,
           gboolean    *out_duplicate,
           GError     **error)
{
  if (g_strcmp0 (earlier->body, body) != 0 ||
      g_strcmp0 (earlier->conversation_id, conversation_id) != 0)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT,
                   "“client_id” was used for another note");
      confab_note_free (earlier);
      return NULL;
    }
  *out_duplicate = TRUE;
  return earlier;
}

ConfabNote *
pg_add_note (ConfabStore  *store,
             const char   *conversation_id,
             const char   *author_id,
             const char   *author_name,
             const char   *client_id,
             const char   *body,
             const char   *mentions_json,
             gboolean     *out_duplicate,
             GError      **error)
{
  g_autofree char *id = confab_new_id ("note_");
  g_autoptr (GError) local_error = NULL;
  g_autoptr (PGresult) result = NULL;
  ConfabNote *earlier;
  PgParams params = { 0 };

  *out_duplicate = FALSE;

  earlier = find_note (store, author_id, client_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (earlier != NULL)
    return same_note (earlier, conversation_id, body, out_duplicate, error);

  pg_text (&params, id);
  pg_text (&params, conversation_id);
  pg_text (&params, author_id);
  pg_text (&params, author_name);
  pg_text (&params, client_id);
  pg_text (&params, body);
  pg_text (&params, mentions_json != NULL ? mentions_json : "[]");
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO notes (id, conversation_id, author_id, author_name, client_id, "
                     "body, mentions, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                     "RETURNING " NOTE_COLUMNS, &params, "Cannot store the note", &local_error);
  if (result != NULL)
    return read_note (result, 0);

  /* another relay stored it between the look and the insert: that one is the note */
  if (g_error_matches (local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    {
      g_clear_error (&local_error);
      earlier = find_note (store, author_id, client_id, &local_error);
      if (earlier != NULL)
        return same_note (earlier, conversation_id, body, out_duplicate, error);
    }
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED, "Cannot store the note");
  return NULL;
}

GPtrArray *
pg_list_notes (ConfabStore  *store,
               const char   *conversation_id,
               GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *notes;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  result = pg_exec (store, "SELECT " NOTE_COLUMNS " FROM notes WHERE conversation_id = $1 "
                    "ORDER BY created_at, id", &params, "Cannot list the notes", error);
  if (result == NULL)
    return NULL;
  notes = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_note_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (notes, read_note (result, i));
  return notes;
}

/* --- labels --------------------------------------------------------------------------------- */

#define LABEL_COLUMNS "l.id, l.site_id, l.name, l.color, l.created_at"

static GPtrArray *
read_labels (PGresult *result)
{
  GPtrArray *labels = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_label_free);

  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabLabel *label = g_new0 (ConfabLabel, 1);

      label->id = pg_dup (result, i, 0);
      label->site_id = pg_dup (result, i, 1);
      label->name = pg_dup (result, i, 2);
      label->color = pg_dup (result, i, 3);
      label->created_at = pg_integer (result, i, 4);
      g_ptr_array_add (labels, label);
    }
  return labels;
}

/* A taken name says so in words a user can act on. */
static void
label_error (GError  *local_error,
             GError **error)
{
  if (g_error_matches (local_error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS))
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                 "This site already has a label with this name");
  else
    g_propagate_error (error, g_error_copy (local_error));
}

ConfabLabel *
pg_get_label (ConfabStore  *store,
              const char   *label_id,
              GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  PgParams params = { 0 };

  pg_text (&params, label_id);
  result = pg_exec (store, "SELECT " LABEL_COLUMNS " FROM labels l WHERE l.id = $1", &params,
                    "Cannot read the label", error);
  if (result == NULL || !pg_found (result, "label", label_id, error))
    return NULL;
  labels = read_labels (result);
  return g_ptr_array_steal_index (labels, 0);
}

ConfabLabel *
pg_create_label (ConfabStore  *store,
                 const char   *site_id,
                 const char   *name,
                 const char   *color,
                 GError      **error)
{
  g_autofree char *id = confab_new_id ("lbl_");
  g_autoptr (GError) local_error = NULL;
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, id);
  pg_text (&params, site_id);
  pg_text (&params, name);
  pg_text (&params, color);
  pg_int (&params, confab_now_ms ());
  result = pg_write (store,
                     "INSERT INTO labels (id, site_id, name, color, created_at) "
                     "VALUES ($1, $2, $3, $4, $5)", &params, "Cannot store the label", &local_error);
  if (result == NULL)
    {
      label_error (local_error, error);
      return NULL;
    }
  return pg_get_label (store, id, error);
}

GPtrArray *
pg_list_labels (ConfabStore  *store,
                const char   *site_id,
                GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  result = pg_exec (store, "SELECT " LABEL_COLUMNS " FROM labels l WHERE l.site_id = $1 "
                    "ORDER BY lower (l.name), l.id", &params, "Cannot list the labels", error);
  return result != NULL ? read_labels (result) : NULL;
}

ConfabLabel *
pg_update_label (ConfabStore  *store,
                 const char   *label_id,
                 const char   *name,
                 const char   *color,
                 GError      **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, label_id);
  pg_text (&params, name);
  pg_text (&params, color);
  result = pg_write (store,
                     "UPDATE labels SET name = coalesce ($2, name), color = coalesce ($3, color) "
                     "WHERE id = $1", &params, "Cannot update the label", &local_error);
  if (result == NULL)
    {
      label_error (local_error, error);
      return NULL;
    }
  if (!pg_found (result, "label", label_id, error))
    return NULL;
  return pg_get_label (store, label_id, error);
}

gboolean
pg_delete_label (ConfabStore  *store,
                 const char   *label_id,
                 GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, label_id);
  result = pg_exec (store, "DELETE FROM labels WHERE id = $1", &params, "Cannot delete the label",
                    error);
  return result != NULL && pg_found (result, "label", label_id, error);
}

GPtrArray *
pg_list_conversation_labels (ConfabStore  *store,
                             const char   *conversation_id,
                             GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, conversation_id);
  result = pg_exec (store,
                    "SELECT " LABEL_COLUMNS " FROM conversation_labels cl "
                    "JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = $1 "
                    "ORDER BY lower (l.name), l.id", &params,
                    "Cannot list the conversation's labels", error);
  return result != NULL ? read_labels (result) : NULL;
}

gboolean
pg_set_conversation_labels (ConfabStore         *store,
                            const char          *site_id,
                            const char          *conversation_id,
                            const char * const  *label_ids,
                            GError             **error)
{
  gboolean ok;

  if (!confab_store_begin (store, error))
    return FALSE;

  {
    g_autoptr (PGresult) clear = NULL;
    PgParams params = { 0 };

    pg_text (&params, conversation_id);
    clear = pg_exec (store, "DELETE FROM conversation_labels WHERE conversation_id = $1", &params,
                     "Cannot change the conversation's labels", error);
    ok = clear != NULL;
  }

  for (guint i = 0; ok && label_ids != NULL && label_ids[i] != NULL; i++)
    {
      g_autoptr (PGresult) add = NULL;
      PgParams params = { 0 };

      /* only the site's own labels: a foreign id inserts nothing */
      pg_text (&params, conversation_id);
      pg_text (&params, label_ids[i]);
      pg_text (&params, site_id);
      add = pg_exec (store,
                     "INSERT INTO conversation_labels (conversation_id, label_id) "
                     "SELECT $1, id FROM labels WHERE id = $2 AND site_id = $3 "
                     "ON CONFLICT DO NOTHING", &params,
                     "Cannot change the conversation's labels", error);
      ok = add != NULL;
      if (ok && pg_changes (add) == 0)
        {
          gboolean repeated = FALSE;

          for (guint j = 0; j < i && !repeated; j++)
            repeated = g_strcmp0 (label_ids[j], label_ids[i]) == 0;
          if (!repeated)
            {
              g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                           "No label “%s” on this site", label_ids[i]);
              ok = FALSE;
            }
        }
    }

  return pg_finish (store, ok, error);
}

GPtrArray *
pg_list_labelled_conversations (ConfabStore                    *store,
                                const char                     *site_id,
                                const char                     *label_id,
                                const ConfabConversationStatus *status,
                                gint64                          before_ms,
                                guint                           limit,
                                GError                        **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *ids;
  PgParams params = { 0 };

  pg_text (&params, label_id);
  pg_text (&params, site_id);
  pg_text (&params, status != NULL ? confab_status_to_string (*status) : NULL);
  pg_int (&params, before_ms);
  limit_param (&params, limit);
  /* newest activity first, a tie by id as pg_list_conversations breaks it */
  result = pg_exec (store,
                    "SELECT c.id FROM conversation_labels cl "
                    "JOIN conversations c ON c.id = cl.conversation_id "
                    "WHERE cl.label_id = $1 AND c.site_id = $2 AND ($3::text IS NULL OR c.status = $3) "
                    "AND ($4::bigint <= 0 OR c.last_message_at < $4::bigint) "
                    "ORDER BY c.last_message_at DESC, c.id DESC LIMIT $5::bigint", &params,
                    "Cannot list the labelled conversations", error);
  if (result == NULL)
    return NULL;
  ids = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < PQntuples (result); i++)
    g_ptr_array_add (ids, pg_dup (result, i, 0));
  return ids;
}

/* --- search --------------------------------------------------------------------------------- */

GPtrArray *
pg_search_messages (ConfabStore  *store,
                    const char   *user_id,
                    const char   *site_id,
                    const char   *match,
                    gint64        before_cursor,
                    guint         limit,
                    GError      **error)
{
  g_autofree char *query = pg_fts_query (match);
  g_autoptr (PGresult) result = NULL;
  GPtrArray *hits;
  PgParams params = { 0 };

  if (query == NULL)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED,
                   "Cannot search the messages: not a search query");
      return NULL;
    }

  pg_text (&params, query);
  pg_text (&params, user_id);
  pg_text (&params, site_id);
  pg_int (&params, before_cursor);
  limit_param (&params, limit);
  /* messages_fts is a GIN index on exactly this expression (schema v7); newest first by cursor,
   * as FTS5 walks its rowids */
  result = pg_exec (store,
                    "SELECT m.conversation_id, c.site_id, m.seq, m.cursor, m.sender_type, "
                    "m.sender_name, m.body, m.created_at "
                    "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                    "WHERE to_tsvector ('simple', confab_fold (coalesce (m.body, ''))) "
                    "  @@ to_tsquery ('simple', $1) "
                    "AND ($4::bigint <= 0 OR m.cursor < $4::bigint) "
                    "AND c.site_id IN (SELECT site_id FROM memberships WHERE user_id = $2) "
                    "AND ($3::text IS NULL OR c.site_id = $3) "
                    "ORDER BY m.cursor DESC LIMIT $5::bigint", &params,
                    "Cannot search the messages", error);
  if (result == NULL)
    return NULL;

  hits = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_search_hit_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabSearchHit *hit = g_new0 (ConfabSearchHit, 1);

      hit->conversation_id = pg_dup (result, i, 0);
      hit->site_id = pg_dup (result, i, 1);
      hit->seq = pg_integer (result, i, 2);
      hit->cursor = pg_integer (result, i, 3);
      hit->sender_type = pg_sender_from_string (PQgetvalue (result, i, 4));
      hit->sender_name = pg_dup (result, i, 5);
      hit->body = pg_dup (result, i, 6);
      hit->created_at = pg_integer (result, i, 7);
      g_ptr_array_add (hits, hit);
    }
  return hits;
}

/* --- avatars -------------------------------------------------------------------------------- */

gboolean
pg_set_avatar (ConfabStore  *store,
               const char   *user_id,
               const char   *sha256,
               GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, user_id);
  pg_text (&params, sha256);
  result = pg_exec (store, "UPDATE users SET avatar_sha256 = $2 WHERE id = $1", &params,
                    "Cannot store the avatar", error);
  return result != NULL && pg_found (result, "user", user_id, error);
}

char *
pg_get_avatar (ConfabStore  *store,
               const char   *user_id,
               GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, user_id);
  result = pg_exec (store, "SELECT avatar_sha256 FROM users WHERE id = $1", &params,
                    "Cannot read the avatar", error);
  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return pg_dup (result, 0, 0);
}

gboolean
pg_avatar_in_use (ConfabStore *store,
                  const char  *sha256)
{
  g_autoptr (PGresult) result = NULL;
  PgParams params = { 0 };

  pg_text (&params, sha256);
  result = pg_exec (store, "SELECT 1 FROM users WHERE avatar_sha256 = $1 LIMIT 1", &params,
                    "Cannot look for the avatar", NULL);
  /* when in doubt, the file stays */
  return result == NULL || PQntuples (result) > 0;
}

/* --- the team header ------------------------------------------------------------------------ */

#define RECENT_CONVERSATIONS 500

GPtrArray *
pg_list_recent_answerers (ConfabStore  *store,
                          const char   *site_id,
                          guint         limit,
                          GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GPtrArray *users;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  limit_param (&params, limit);
  pg_int (&params, RECENT_CONVERSATIONS);
  result = pg_exec (store,
                    "SELECT u.id, u.email, u.name, max (c.first_reply_at) AS latest "
                    "FROM (SELECT first_reply_by, first_reply_at FROM conversations "
                    "      WHERE site_id = $1 ORDER BY created_at DESC LIMIT $3::bigint) c "
                    "JOIN users u ON u.id = c.first_reply_by "
                    "JOIN memberships ms ON ms.site_id = $1 AND ms.user_id = u.id "
                    "GROUP BY u.id ORDER BY latest DESC LIMIT $2::bigint", &params,
                    "Cannot list who answered", error);
  if (result == NULL)
    return NULL;
  users = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_user_free);
  for (int i = 0; i < PQntuples (result); i++)
    {
      ConfabUser *user = g_new0 (ConfabUser, 1);

      user->id = pg_dup (result, i, 0);
      user->email = pg_dup (result, i, 1);
      user->name = pg_dup (result, i, 2);
      g_ptr_array_add (users, user);
    }
  return users;
}

GArray *
pg_recent_first_responses (ConfabStore  *store,
                           const char   *site_id,
                           guint         limit,
                           GError      **error)
{
  g_autoptr (PGresult) result = NULL;
  GArray *times;
  PgParams params = { 0 };

  pg_text (&params, site_id);
  limit_param (&params, limit);
  pg_int (&params, RECENT_CONVERSATIONS);
  result = pg_exec (store,
                    "SELECT first_reply_at - first_visitor_at FROM "
                    "(SELECT first_reply_at, first_visitor_at FROM conversations "
                    " WHERE site_id = $1 ORDER BY created_at DESC LIMIT $3::bigint) recent "
                    "WHERE first_reply_at IS NOT NULL AND first_visitor_at IS NOT NULL "
                    "LIMIT $2::bigint", &params, "Cannot read the first responses", error);
  if (result == NULL)
    return NULL;
  times = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (int i = 0; i < PQntuples (result); i++)
    {
      gint64 ms = MAX (0, pg_integer (result, i, 0));

      g_array_append_val (times, ms);
    }
  return times;
}
