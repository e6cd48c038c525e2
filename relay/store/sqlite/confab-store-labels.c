/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-labels.c: the SQLite store's labels and the conversations they are on (see
 * confab-store-chat.h) */
#define G_LOG_DOMAIN "confab-store"

#include "confab-store-private.h"
#include "confab-store-chat.h"

#define LABEL_COLUMNS "l.id, l.site_id, l.name, l.color, l.created_at"

void
confab_label_free (ConfabLabel *label)
{
  if (label == NULL)
    return;
  g_free (label->id);
  g_free (label->site_id);
  g_free (label->name);
  g_free (label->color);
  g_free (label);
}

static ConfabLabel *
read_label (sqlite3_stmt *stmt)
{
  ConfabLabel *label = g_new0 (ConfabLabel, 1);

  label->id = store_column_dup (stmt, 0);
  label->site_id = store_column_dup (stmt, 1);
  label->name = store_column_dup (stmt, 2);
  label->color = store_column_dup (stmt, 3);
  label->created_at = sqlite3_column_int64 (stmt, 4);
  return label;
}

/* A taken name says so in words a user can act on. */
static void
set_label_error (ConfabStore *store,
                 GError     **error,
                 int          rc,
                 const char  *what)
{
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_EXISTS,
                 "This site already has a label with this name");
  else
    store_set_sqlite_error (store, error, rc, what);
}

ConfabLabel *
confab_store_create_label (ConfabStore  *store,
                           const char   *site_id,
                           const char   *name,
                           const char   *color,
                           GError      **error)
{
  STORE_HANDOFF (store, create_label, NULL, error, site_id, name, color, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *id = confab_new_id ("lbl_");
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "INSERT INTO labels (id, site_id, name, color, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return NULL;

  store_bind_text (stmt, 1, id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, name);
  store_bind_text (stmt, 4, color);
  sqlite3_bind_int64 (stmt, 5, confab_now_ms ());
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      set_label_error (store, error, rc, "Cannot store the label");
      return NULL;
    }
  return confab_store_get_label (store, id, error);
}

ConfabLabel *
confab_store_get_label (ConfabStore  *store,
                        const char   *label_id,
                        GError      **error)
{
  STORE_HANDOFF (store, get_label, NULL, error, label_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store, "SELECT " LABEL_COLUMNS " FROM labels l WHERE l.id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, label_id);
  if (!store_step_row (store, stmt, "label", label_id, error))
    return NULL;
  return read_label (stmt);
}

GPtrArray *
confab_store_list_labels (ConfabStore  *store,
                          const char   *site_id,
                          GError      **error)
{
  STORE_HANDOFF (store, list_labels, NULL, error, site_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " LABEL_COLUMNS " FROM labels l WHERE l.site_id = ?1 "
                        "ORDER BY lower (l.name), l.id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, site_id);
  return store_read_all (store, stmt, (gpointer) read_label, (GDestroyNotify) confab_label_free,
                         "Cannot list the labels", error);
}

ConfabLabel *
confab_store_update_label (ConfabStore  *store,
                           const char   *label_id,
                           const char   *name,
                           const char   *color,
                           GError      **error)
{
  STORE_HANDOFF (store, update_label, NULL, error, label_id, name, color, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "UPDATE labels SET name = coalesce (?2, name), color = coalesce (?3, color) "
                        "WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, label_id);
  store_bind_text (stmt, 2, name);
  store_bind_text (stmt, 3, color);
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      set_label_error (store, error, rc, "Cannot update the label");
      return NULL;
    }
  if (!store_not_found_if_unchanged (store, "label", label_id, error))
    return NULL;
  return confab_store_get_label (store, label_id, error);
}

gboolean
confab_store_delete_label (ConfabStore  *store,
                           const char   *label_id,
                           GError      **error)
{
  STORE_HANDOFF (store, delete_label, FALSE, error, label_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  /* conversation_labels' rows go by ON DELETE CASCADE */
  stmt = store_prepare (store, "DELETE FROM labels WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, label_id);
  return store_step_done (store, stmt, "Cannot delete the label", error) &&
         store_not_found_if_unchanged (store, "label", label_id, error);
}

GPtrArray *
confab_store_list_conversation_labels (ConfabStore  *store,
                                       const char   *conversation_id,
                                       GError      **error)
{
  STORE_HANDOFF (store, list_conversation_labels, NULL, error, conversation_id, error);

  g_autoptr (ConfabStmt) stmt = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT " LABEL_COLUMNS " FROM conversation_labels cl "
                        "JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = ?1 "
                        "ORDER BY lower (l.name), l.id", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, conversation_id);
  return store_read_all (store, stmt, (gpointer) read_label, (GDestroyNotify) confab_label_free,
                         "Cannot list the conversation's labels", error);
}

static gboolean
set_conversation_labels (ConfabStore         *store,
                         const char          *site_id,
                         const char          *conversation_id,
                         const char * const  *label_ids,
                         GError             **error)
{
  g_autoptr (ConfabStmt) clear = NULL;

  clear = store_prepare (store, "DELETE FROM conversation_labels WHERE conversation_id = ?1", error);
  if (clear == NULL)
    return FALSE;
  store_bind_text (clear, 1, conversation_id);
  if (!store_step_done (store, clear, "Cannot change the conversation's labels", error))
    return FALSE;

  for (guint i = 0; label_ids != NULL && label_ids[i] != NULL; i++)
    {
      g_autoptr (ConfabStmt) add = NULL;

      /* only the site's own labels: a foreign id inserts nothing */
      add = store_prepare (store,
                           "INSERT OR IGNORE INTO conversation_labels (conversation_id, label_id) "
                           "SELECT ?1, id FROM labels WHERE id = ?2 AND site_id = ?3", error);
      if (add == NULL)
        return FALSE;
      store_bind_text (add, 1, conversation_id);
      store_bind_text (add, 2, label_ids[i]);
      store_bind_text (add, 3, site_id);
      if (!store_step_done (store, add, "Cannot change the conversation's labels", error))
        return FALSE;
      if (sqlite3_changes (store->db) == 0)
        {
          gboolean repeated = FALSE;

          for (guint j = 0; j < i && !repeated; j++)
            repeated = g_strcmp0 (label_ids[j], label_ids[i]) == 0;
          if (!repeated)
            {
              g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                           "No label “%s” on this site", label_ids[i]);
              return FALSE;
            }
        }
    }
  return TRUE;
}

gboolean
confab_store_set_conversation_labels (ConfabStore         *store,
                                      const char          *site_id,
                                      const char          *conversation_id,
                                      const char * const  *label_ids,
                                      GError             **error)
{
  STORE_HANDOFF (store, set_conversation_labels, FALSE, error, site_id, conversation_id, label_ids, error);

  g_return_val_if_fail (store != NULL, FALSE);

  if (!confab_store_begin (store, error))
    return FALSE;
  return store_finish (store,
                       set_conversation_labels (store, site_id, conversation_id, label_ids, error),
                       error);
}

GPtrArray *
confab_store_list_labelled_conversations (ConfabStore                    *store,
                                          const char                     *site_id,
                                          const char                     *label_id,
                                          const ConfabConversationStatus *status,
                                          gint64                          before_ms,
                                          guint                           limit,
                                          GError                        **error)
{
  STORE_HANDOFF (store, list_labelled_conversations, NULL, error, site_id, label_id, status, before_ms, limit, error);

  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_prepare (store,
                        "SELECT c.id FROM conversation_labels cl "
                        "JOIN conversations c ON c.id = cl.conversation_id "
                        "WHERE cl.label_id = ?1 AND c.site_id = ?2 AND (?3 IS NULL OR c.status = ?3) "
                        "AND (?4 <= 0 OR c.last_message_at < ?4) "
                        "ORDER BY c.last_message_at DESC, c.rowid DESC LIMIT ?5", error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, label_id);
  store_bind_text (stmt, 2, site_id);
  store_bind_text (stmt, 3, status != NULL ? confab_status_to_string (*status) : NULL);
  sqlite3_bind_int64 (stmt, 4, before_ms);
  sqlite3_bind_int64 (stmt, 5, store_sql_limit (limit));

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, store_column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      store_set_sqlite_error (store, error, rc, "Cannot list the labelled conversations");
      return NULL;
    }
  return g_steal_pointer (&ids);
}
