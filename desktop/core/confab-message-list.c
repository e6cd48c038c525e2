/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-message-list"

#include "confab-cache-private.h"
#include "confab-message-list.h"
#include "confab-page-cache.h"

struct _ConfabMessageList
{
  GObject          parent_instance;

  ConfabCache     *cache;
  char            *conversation_id;
  guint            n_items;
  ConfabPageCache *pages;
  gulong           changed_id;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabMessageList, confab_message_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_CACHE,
  PROP_CONVERSATION_ID,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Messages of this conversation whose sort key is above @key: cheap near the end, where new
 * messages and acknowledgements land. */
static guint
count_above (ConfabMessageList *self,
             gint64             key)
{
  sqlite3_stmt *stmt = confab_cache_prepare (self->cache,
                                             "SELECT COUNT (*) FROM messages "
                                             "WHERE conversation_id = ?1 AND sort_key > ?2", NULL);
  guint n = 0;

  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, self->conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, key);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return n;
}

static guint
count_all (ConfabMessageList *self)
{
  return count_above (self, G_MININT64);
}

static void
reverse (GPtrArray *rows)
{
  for (guint i = 0; i < rows->len / 2; i++)
    {
      gpointer tmp = rows->pdata[i];
      rows->pdata[i] = rows->pdata[rows->len - 1 - i];
      rows->pdata[rows->len - 1 - i] = tmp;
    }
}

/* How a page is found, cheapest first: right after the page before it or right before the
 * page after it (scrolling: an index seek, whatever the depth), else by offset from whichever
 * end of the conversation is nearer (a jump: the newest messages, where a chat opens, cost
 * one page). */
static GPtrArray *
load_page (guint    page,
           gpointer user_data)
{
  ConfabMessageList *self = user_data;
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *before = page > 0 ? confab_page_cache_peek (self->pages, page - 1) : NULL;
  GPtrArray *after = confab_page_cache_peek (self->pages, page + 1);
  guint first = page * CONFAB_PAGE_SIZE;
  gboolean descending;
  sqlite3_stmt *stmt;
  guint len;

  if (first >= self->n_items)
    return rows;
  len = MIN (CONFAB_PAGE_SIZE, self->n_items - first);

  if (before != NULL && before->len == CONFAB_PAGE_SIZE)
    {
      descending = FALSE;
      stmt = confab_cache_prepare (self->cache,
                                   "SELECT " CONFAB_CACHE_MESSAGE_COLUMNS " FROM messages "
                                   "WHERE conversation_id = ?1 AND sort_key > ?3 "
                                   "ORDER BY sort_key LIMIT ?2", NULL);
      if (stmt != NULL)
        sqlite3_bind_int64 (stmt, 3, confab_cache_message_sort_key (before->pdata[before->len - 1]));
    }
  else if (after != NULL && after->len > 0)
    {
      descending = TRUE;
      stmt = confab_cache_prepare (self->cache,
                                   "SELECT " CONFAB_CACHE_MESSAGE_COLUMNS " FROM messages "
                                   "WHERE conversation_id = ?1 AND sort_key < ?3 "
                                   "ORDER BY sort_key DESC LIMIT ?2", NULL);
      if (stmt != NULL)
        sqlite3_bind_int64 (stmt, 3, confab_cache_message_sort_key (after->pdata[0]));
    }
  else if (first > self->n_items / 2)
    {
      descending = TRUE;
      stmt = confab_cache_prepare (self->cache,
                                   "SELECT " CONFAB_CACHE_MESSAGE_COLUMNS " FROM messages "
                                   "WHERE conversation_id = ?1 ORDER BY sort_key DESC "
                                   "LIMIT ?2 OFFSET ?3", NULL);
      if (stmt != NULL)
        sqlite3_bind_int64 (stmt, 3, self->n_items - first - len);
    }
  else
    {
      descending = FALSE;
      stmt = confab_cache_prepare (self->cache,
                                   "SELECT " CONFAB_CACHE_MESSAGE_COLUMNS " FROM messages "
                                   "WHERE conversation_id = ?1 ORDER BY sort_key "
                                   "LIMIT ?2 OFFSET ?3", NULL);
      if (stmt != NULL)
        sqlite3_bind_int64 (stmt, 3, first);
    }
  if (stmt == NULL)
    {
      g_ptr_array_unref (rows);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, self->conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, len);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (rows, confab_cache_message_from_stmt (stmt));
  sqlite3_reset (stmt);

  if (descending)
    reverse (rows);
  return rows;
}

static void
on_message_changed (ConfabCache       *cache,
                    ConfabMessage     *old,
                    ConfabMessage     *now,
                    ConfabMessageList *self)
{
  ConfabMessage *any = now ? now : old;
  gint64 old_key, new_key;
  guint old_pos = 0, new_pos = 0, others;

  if (any == NULL || g_strcmp0 (confab_message_get_conversation_id (any), self->conversation_id) != 0)
    return;

  /* Everything but this row is as it was: its old and new places are counted among the
   * others, from the end (where changes land). */
  others = self->n_items - (old != NULL ? 1 : 0);
  old_key = old ? confab_cache_message_sort_key (old) : 0;
  new_key = now ? confab_cache_message_sort_key (now) : 0;
  if (old != NULL)
    old_pos = others - (count_above (self, old_key) - (now != NULL && new_key > old_key ? 1 : 0));
  if (now != NULL)
    new_pos = others - count_above (self, new_key);

  if (old != NULL && now != NULL && old_pos == new_pos)
    {
      confab_page_cache_invalidate_from (self->pages, old_pos);
      g_list_model_items_changed (G_LIST_MODEL (self), old_pos, 1, 1);
      return;
    }

  if (old != NULL)
    {
      confab_page_cache_invalidate_from (self->pages, old_pos);
      self->n_items--;
      g_list_model_items_changed (G_LIST_MODEL (self), old_pos, 1, 0);
    }
  if (now != NULL)
    {
      confab_page_cache_invalidate_from (self->pages, new_pos);
      self->n_items++;
      g_list_model_items_changed (G_LIST_MODEL (self), new_pos, 0, 1);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static GType
confab_message_list_get_item_type (GListModel *model)
{
  return CONFAB_TYPE_MESSAGE;
}

static guint
confab_message_list_get_n_items (GListModel *model)
{
  return CONFAB_MESSAGE_LIST (model)->n_items;
}

static gpointer
confab_message_list_get_item (GListModel *model,
                              guint       position)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (model);

  if (position >= self->n_items)
    return NULL;
  return confab_page_cache_get (self->pages, position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = confab_message_list_get_item_type;
  iface->get_n_items = confab_message_list_get_n_items;
  iface->get_item = confab_message_list_get_item;
}

static void
confab_message_list_constructed (GObject *object)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  G_OBJECT_CLASS (confab_message_list_parent_class)->constructed (object);

  g_return_if_fail (self->cache != NULL && self->conversation_id != NULL);
  self->n_items = count_all (self);
  self->changed_id = g_signal_connect (self->cache, "message-changed",
                                       G_CALLBACK (on_message_changed), self);
}

static void
confab_message_list_dispose (GObject *object)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  if (self->cache != NULL)
    g_clear_signal_handler (&self->changed_id, self->cache);
  g_clear_object (&self->cache);
  if (self->pages != NULL)
    confab_page_cache_clear (self->pages);

  G_OBJECT_CLASS (confab_message_list_parent_class)->dispose (object);
}

static void
confab_message_list_finalize (GObject *object)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  g_clear_pointer (&self->pages, confab_page_cache_free);
  g_free (self->conversation_id);

  G_OBJECT_CLASS (confab_message_list_parent_class)->finalize (object);
}

static void
confab_message_list_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_CACHE:
      g_value_set_object (value, self->cache);
      break;

    case PROP_CONVERSATION_ID:
      g_value_set_string (value, self->conversation_id);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_list_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_CACHE:
      self->cache = g_value_dup_object (value);
      break;

    case PROP_CONVERSATION_ID:
      self->conversation_id = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_list_class_init (ConfabMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = confab_message_list_constructed;
  object_class->dispose = confab_message_list_dispose;
  object_class->finalize = confab_message_list_finalize;
  object_class->get_property = confab_message_list_get_property;
  object_class->set_property = confab_message_list_set_property;

  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, "The cache the messages come from",
                         CONFAB_TYPE_CACHE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS |
                         G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CONVERSATION_ID] =
    g_param_spec_string ("conversation-id", NULL, "The conversation shown",
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS |
                         G_PARAM_EXPLICIT_NOTIFY);
  /* GLib 2.74's GListModel has no "n-items" property: the view's "stick to the newest
   * message" follows this one. */
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, "Number of messages",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_message_list_init (ConfabMessageList *self)
{
  self->pages = confab_page_cache_new (load_page, self);
}

ConfabMessageList *
confab_message_list_new (ConfabCache *cache,
                         const char  *conversation_id)
{
  g_return_val_if_fail (CONFAB_IS_CACHE (cache), NULL);
  g_return_val_if_fail (conversation_id != NULL, NULL);

  return g_object_new (CONFAB_TYPE_MESSAGE_LIST,
                       "cache", cache,
                       "conversation-id", conversation_id,
                       NULL);
}

const char *
confab_message_list_get_conversation_id (ConfabMessageList *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), NULL);
  return self->conversation_id;
}

guint
confab_message_list_get_n_loaded (ConfabMessageList *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), 0);
  return confab_page_cache_n_loaded (self->pages);
}

int
confab_message_list_find_seq (ConfabMessageList *self,
                              gint64             seq)
{
  g_autoptr (ConfabMessage) message = NULL;
  guint above;

  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), -1);

  message = confab_cache_get_message (self->cache, self->conversation_id, seq);
  if (message == NULL)
    return -1;
  /* the rows after it, counted from the end: cheap near the end, where searches mostly land */
  above = count_above (self, confab_cache_message_sort_key (message));
  return above < self->n_items ? (int) (self->n_items - 1 - above) : -1;
}
