/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-conversation-list"

#include "confab-cache-private.h"
#include "confab-conversation-list.h"
#include "confab-client-chat.h"
#include "confab-page-cache.h"
#include "confab-routing.h"

struct _ConfabConversationList
{
  GObject                  parent_instance;

  ConfabCache             *cache;
  char                    *site_id;
  char                    *search;
  char                    *label_id;     /* only conversations with this label */
  char                    *team_id;      /* only conversations of this team (issue 18) */
  char                    *pattern;      /* search as a LIKE pattern */
  char                    *agent_id;
  ConfabConversationFilter filter;
  ConfabConversationSort   sort;

  sqlite3_stmt            *count_stmt;
  sqlite3_stmt            *page_stmt;
  sqlite3_stmt            *before_stmt;  /* rows before a (sort_at, id) key, that id excluded */
  guint                    n_items;
  ConfabPageCache         *pages;
  gulong                   changed_id;
  GHashTable              *ahead;        /* id → ConfabConversation: rows shown newer than the
                                          * change being announced (see on_conversation_changed) */
  gulong                   batch_id;
  gboolean                 batch_behind; /* in a batch: caught up at its end, or at a later
                                          * one's while the cache holds them (batch_held) */
  gboolean                 batch_stale;  /* behind, a page was read from the table, which is
                                          * ahead: catch up from the table, not the pages */
  GHashTable              *batch_shown;  /* id → ConfabConversation (or NULL: not shown): the
                                          * rows changed since, as the list still shows them */
  GHashTable              *handed_out;   /* id → GWeakRef to the last ConfabConversation that
                                          * get_item() gave for it (see load_page) */
};


static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabConversationList, confab_conversation_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

G_DEFINE_ENUM_TYPE (ConfabConversationFilter, confab_conversation_filter,
  G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_FILTER_ALL, "all"),
  G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_FILTER_OPEN, "open"),
  G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_FILTER_PENDING, "pending"),
  G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_FILTER_MINE, "mine"),
  G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_FILTER_UNASSIGNED, "unassigned"),
  G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_FILTER_RESOLVED, "resolved"))

G_DEFINE_ENUM_TYPE (ConfabConversationSort, confab_conversation_sort,
  G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_SORT_NEWEST, "newest"),
  G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_SORT_WAITING_LONGEST, "waiting-longest"))

enum {
  PROP_0,
  PROP_CACHE,
  PROP_SITE_ID,
  PROP_FILTER,
  PROP_SORT,
  PROP_SEARCH,
  PROP_AGENT_ID,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* g_set_str() is GLib 2.76 */
static gboolean
set_str (char       **field,
         const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
unref_nullable (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

/* --- SQL --- */

static const char *
filter_sql (ConfabConversationFilter filter)
{
  switch (filter)
    {
    case CONFAB_CONVERSATION_FILTER_OPEN:
      return "c.status = 'open'";
    case CONFAB_CONVERSATION_FILTER_PENDING:
      return "c.status = 'pending'";
    case CONFAB_CONVERSATION_FILTER_MINE:
      return "c.assignee_id = ?2 AND c.status IN ('open', 'pending')";
    case CONFAB_CONVERSATION_FILTER_UNASSIGNED:
      return "c.assignee_id IS NULL AND c.status IN ('open', 'pending')";
    case CONFAB_CONVERSATION_FILTER_RESOLVED:
      return "c.status IN ('resolved', 'closed')";
    case CONFAB_CONVERSATION_FILTER_ALL:
    default:
      return "1";
    }
}

/* The same test as filter_sql(), for the old version of a row that has changed since. */
static gboolean
matches (ConfabConversationList *self,
         ConfabConversation     *conversation)
{
  const char *status = confab_conversation_get_status (conversation);
  const char *assignee = confab_conversation_get_assignee_id (conversation);
  gboolean active = g_strcmp0 (status, "open") == 0 || g_strcmp0 (status, "pending") == 0;

  if (self->site_id != NULL &&
      g_strcmp0 (self->site_id, confab_conversation_get_site_id (conversation)) != 0)
    return FALSE;
  if (self->label_id != NULL &&
      !confab_labels_contain (confab_conversation_get_labels (conversation), self->label_id))
    return FALSE;
  if (self->team_id != NULL)
    {
      const ConfabRouting *routing = confab_routing_peek (conversation);

      if (g_strcmp0 (routing->team_id, self->team_id) != 0)
        return FALSE;
    }

  switch (self->filter)
    {
    case CONFAB_CONVERSATION_FILTER_OPEN:
      return g_strcmp0 (status, "open") == 0;
    case CONFAB_CONVERSATION_FILTER_PENDING:
      return g_strcmp0 (status, "pending") == 0;
    case CONFAB_CONVERSATION_FILTER_MINE:
      return active && assignee != NULL && g_strcmp0 (assignee, self->agent_id) == 0;
    case CONFAB_CONVERSATION_FILTER_UNASSIGNED:
      return active && assignee == NULL;
    case CONFAB_CONVERSATION_FILTER_RESOLVED:
      return g_strcmp0 (status, "resolved") == 0 || g_strcmp0 (status, "closed") == 0;
    case CONFAB_CONVERSATION_FILTER_ALL:
    default:
      return TRUE;
    }
}

static sqlite3_stmt *
prepare (ConfabConversationList *self,
         const char             *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (confab_cache_get_db (self->cache), sql, -1, &stmt, NULL) != SQLITE_OK)
    g_critical ("Conversation list query refused: %s",
                sqlite3_errmsg (confab_cache_get_db (self->cache)));
  return stmt;
}

static void
bind_common (ConfabConversationList *self,
             sqlite3_stmt           *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (self->site_id != NULL)
    sqlite3_bind_text (stmt, 1, self->site_id, -1, SQLITE_TRANSIENT);
  if (self->filter == CONFAB_CONVERSATION_FILTER_MINE)
    sqlite3_bind_text (stmt, 2, self->agent_id ? self->agent_id : "", -1, SQLITE_TRANSIENT);
  if (self->pattern != NULL)
    sqlite3_bind_text (stmt, 3, self->pattern, -1, SQLITE_TRANSIENT);
  if (self->label_id != NULL)
    sqlite3_bind_text (stmt, 8, self->label_id, -1, SQLITE_TRANSIENT);
  if (self->team_id != NULL)
    sqlite3_bind_text (stmt, 9, self->team_id, -1, SQLITE_TRANSIENT);
}

static void
clear_statements (ConfabConversationList *self)
{
  sqlite3_stmt **stmts[] = { &self->count_stmt, &self->page_stmt, &self->before_stmt };

  for (guint i = 0; i < G_N_ELEMENTS (stmts); i++)
    {
      sqlite3_finalize (*stmts[i]);
      *stmts[i] = NULL;
    }
}

/* Only the clauses in use go into the SQL: "?1 IS NULL OR ..." would keep SQLite from using
 * the (site_id, sort_at, id) index. */
static void
build_statements (ConfabConversationList *self)
{
  gboolean newest = self->sort == CONFAB_CONVERSATION_SORT_NEWEST;
  g_autoptr (GString) where = g_string_new (filter_sql (self->filter));
  g_autofree char *sql = NULL;
  const char *from;

  clear_statements (self);

  if (self->site_id != NULL)
    g_string_append (where, " AND c.site_id = ?1");
  if (self->pattern != NULL)
    g_string_append (where, " AND (v.name LIKE ?3 ESCAPE '\\' OR v.email LIKE ?3 ESCAPE '\\'"
                            " OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
                            " AND m.body LIKE ?3 ESCAPE '\\'))");
  if (self->label_id != NULL)
    g_string_append (where, " AND EXISTS (SELECT 1 FROM json_each (c.labels) l"
                            " WHERE json_extract (l.value, '$.id') = ?8)");
  if (self->team_id != NULL)
    g_string_append (where, " AND json_extract (c.routing, '$.team.id') = ?9");

  /* The counts read the visitors only to search them: joined, every row counted costs a
   * lookup in visitors, and a catch-up counts the rows before each moved row (position_of)
   * — half its time went there (perf, bench/desktop-catchup.sh). */
  from = self->pattern != NULL ? CONFAB_CACHE_CONVERSATION_FROM : "conversations c";
  sql = g_strdup_printf ("SELECT COUNT (*) FROM %s WHERE %s", from, where->str);
  self->count_stmt = prepare (self, sql);
  g_free (sql);

  sql = g_strdup_printf ("SELECT " CONFAB_CACHE_CONVERSATION_COLUMNS
                         " FROM " CONFAB_CACHE_CONVERSATION_FROM " WHERE %s"
                         " ORDER BY c.sort_at %s, c.id %s LIMIT ?6 OFFSET ?7",
                         where->str, newest ? "DESC" : "ASC", newest ? "DESC" : "ASC");
  self->page_stmt = prepare (self, sql);
  g_free (sql);

  sql = g_strdup_printf ("SELECT COUNT (*) FROM %s WHERE %s AND (c.sort_at, c.id) %s (?4, ?5) AND c.id != ?5",
                         from, where->str, newest ? ">" : "<");
  self->before_stmt = prepare (self, sql);
}

static guint
count_rows (ConfabConversationList *self)
{
  guint n = 0;

  if (self->count_stmt == NULL)
    return 0;
  bind_common (self, self->count_stmt);
  if (sqlite3_step (self->count_stmt) == SQLITE_ROW)
    n = (guint) sqlite3_column_int64 (self->count_stmt, 0);
  sqlite3_reset (self->count_stmt);
  return n;
}

/* Does @a sort before the key (@sort_at, @id)? */
static gboolean
sorts_before (ConfabConversationList *self,
              ConfabConversation     *a,
              gint64                  sort_at,
              const char             *id)
{
  gint64 a_at = confab_cache_conversation_sort_at (a);
  int cmp = a_at != sort_at ? (a_at < sort_at ? -1 : 1)
                            : strcmp (confab_conversation_get_id (a), id);

  return self->sort == CONFAB_CONVERSATION_SORT_NEWEST ? cmp > 0 : cmp < 0;
}

/* The row of @id as this list shows it, when that differs from the table's: the table is ahead
 * by the changes still waiting to be announced. NULL in @shown: not shown. FALSE: the same. */
static gboolean
shown_state (ConfabConversationList  *self,
             const char              *id,
             ConfabConversation     **shown)
{
  GQueue *pending = confab_cache_get_pending_changes (self->cache);

  /* behind a batch (or several, while a catch-up holds the list back): as before them */
  if (self->batch_behind &&
      g_hash_table_lookup_extended (self->batch_shown, id, NULL, (gpointer *) shown))
    return TRUE;
  if (g_hash_table_lookup_extended (self->ahead, id, NULL, (gpointer *) shown))
    return TRUE;
  for (GList *l = pending->head; l; l = l->next)
    {
      ConfabCacheChange *change = l->data;

      if (change->signal == CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED &&
          g_strcmp0 (confab_conversation_get_id (CONFAB_CONVERSATION (change->now)), id) == 0)
        {
          *shown = (ConfabConversation *) change->old;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
has_pending (ConfabConversationList *self,
             const char             *id)
{
  GQueue *pending = confab_cache_get_pending_changes (self->cache);

  for (GList *l = pending->head; l; l = l->next)
    {
      ConfabCacheChange *change = l->data;

      if (change->signal == CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED &&
          g_strcmp0 (confab_conversation_get_id (CONFAB_CONVERSATION (change->now)), id) == 0)
        return TRUE;
    }
  return FALSE;
}

/* How many rows before the key (@sort_at, @id) the row of @other adds to the table's count as
 * the list shows it (-1, 0 or 1), once per @other (@done). */
static int
shown_offset (ConfabConversationList *self,
              const char             *other,
              gint64                  sort_at,
              const char             *id,
              GHashTable             *done)
{
  ConfabConversation *shown = NULL;
  g_autoptr (ConfabConversation) stored = NULL;
  int n = 0;

  if (g_strcmp0 (other, id) == 0 || !g_hash_table_add (done, (gpointer) other))
    return 0;
  if (!shown_state (self, other, &shown))
    return 0;
  stored = confab_cache_get_conversation (self->cache, other);
  if (stored != NULL && matches (self, stored) && sorts_before (self, stored, sort_at, id))
    n--;
  if (shown != NULL && matches (self, shown) && sorts_before (self, shown, sort_at, id))
    n++;
  return n;
}

/* Where @conversation sits (or would) among the other rows of the list as shown. The table
 * answers for every row but those with changes not announced yet (a handler wrote them while
 * another change was being announced): those count where the list shows them. */
static guint
position_of (ConfabConversationList *self,
             ConfabConversation     *conversation)
{
  GQueue *pending = confab_cache_get_pending_changes (self->cache);
  const char *id = confab_conversation_get_id (conversation);
  gint64 sort_at = confab_cache_conversation_sort_at (conversation);
  g_autoptr (GHashTable) done = NULL;
  gint64 n = 0;

  if (self->before_stmt == NULL)
    return 0;
  bind_common (self, self->before_stmt);
  sqlite3_bind_int64 (self->before_stmt, 4, confab_cache_conversation_sort_at (conversation));
  sqlite3_bind_text (self->before_stmt, 5, confab_conversation_get_id (conversation), -1,
                     SQLITE_TRANSIENT);
  if (sqlite3_step (self->before_stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (self->before_stmt, 0);
  sqlite3_reset (self->before_stmt);

  if (g_queue_is_empty (pending) && !(self->batch_behind && g_hash_table_size (self->batch_shown) > 0))
    return (guint) n;
  done = g_hash_table_new (g_str_hash, g_str_equal);
  for (GList *l = pending->head; l; l = l->next)
    {
      ConfabCacheChange *change = l->data;

      if (change->signal == CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED)
        n += shown_offset (self, confab_conversation_get_id (CONFAB_CONVERSATION (change->now)),
                           sort_at, id, done);
    }
  /* between the slices of a catch-up that holds the list back (a row found for the agent) */
  if (self->batch_behind)
    {
      GHashTableIter iter;
      gpointer other;

      g_hash_table_iter_init (&iter, self->batch_shown);
      while (g_hash_table_iter_next (&iter, &other, NULL))
        n += shown_offset (self, other, sort_at, id, done);
    }
  return (guint) MAX (n, 0);
}

#define HANDED_OUT_SWEEP 4096   /* entries before the dead ones are swept */

static gboolean
weak_ref_is_empty (gpointer key,
                   gpointer value,
                   gpointer user_data)
{
  g_autoptr (GObject) object = g_weak_ref_get (value);

  return object == NULL;
}

static void
weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

/* The object the list handed out last for @row's conversation when it still reads the same
 * (a new reference), else @row, remembered from now on (@row is consumed).
 *
 * A change that moves rows drops the pages it covers, and GTK 4.8's list view keeps a row's
 * widget through an items-changed only when the item at the new position is the very object it
 * had: with a fresh object for every row, each slice of a catch-up threw away and built again
 * every row widget the view holds (up to 200 around the visible ones: template, avatar, Pango
 * contexts) — most of a long frame (perf, bench/desktop-catchup.sh). */
static ConfabConversation *
reuse_item (ConfabConversationList *self,
            ConfabConversation     *row)
{
  const char *id = confab_conversation_get_id (row);
  GWeakRef *ref = g_hash_table_lookup (self->handed_out, id);
  g_autoptr (ConfabConversation) known = ref != NULL ? g_weak_ref_get (ref) : NULL;

  if (known != NULL && confab_conversation_equal (known, row))
    {
      g_object_unref (row);
      return g_steal_pointer (&known);
    }
  if (ref == NULL)
    {
      /* entries of rows no longer held by anyone pile up: sweep them now and then */
      if (g_hash_table_size (self->handed_out) >= HANDED_OUT_SWEEP)
        g_hash_table_foreach_remove (self->handed_out, weak_ref_is_empty, NULL);
      ref = g_new0 (GWeakRef, 1);
      g_weak_ref_init (ref, NULL);
      g_hash_table_insert (self->handed_out, g_strdup (id), ref);
    }
  g_weak_ref_set (ref, row);
  return row;
}

static GPtrArray *
load_page (guint    page,
           gpointer user_data)
{
  ConfabConversationList *self = user_data;
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->page_stmt == NULL)
    return rows;
  /* Read while behind (the list view scrolled to rows not loaded while a catch-up holds the
   * list back): the table is ahead of the rows around it for a few frames, until the next
   * batch's end, which then does not keep the list behind and places the rows from the table */
  if (self->batch_behind)
    self->batch_stale = TRUE;
  bind_common (self, self->page_stmt);
  sqlite3_bind_int64 (self->page_stmt, 6, CONFAB_PAGE_SIZE);
  sqlite3_bind_int64 (self->page_stmt, 7, (gint64) page * CONFAB_PAGE_SIZE);
  while (sqlite3_step (self->page_stmt) == SQLITE_ROW)
    g_ptr_array_add (rows, reuse_item (self, confab_cache_conversation_from_stmt (self->page_stmt)));
  sqlite3_reset (self->page_stmt);
  return rows;
}

/* The query changed: everything may have moved. */
static void
reload (ConfabConversationList *self)
{
  guint old_n = self->n_items;

  GQueue *pending = confab_cache_get_pending_changes (self->cache);

  build_statements (self);
  confab_page_cache_clear (self->pages);
  self->n_items = count_rows (self);
  /* shown as the table is now: nothing to catch up with any more */
  if (!confab_cache_in_batch (self->cache))
    self->batch_behind = FALSE;
  self->batch_stale = FALSE;
  g_hash_table_remove_all (self->batch_shown);
  /* shown as the table is now: changes still to be announced are already in */
  g_hash_table_remove_all (self->ahead);
  for (GList *l = pending->head; l; l = l->next)
    {
      ConfabCacheChange *change = l->data;
      const char *id;
      ConfabConversation *stored;

      if (change->signal != CONFAB_CACHE_SIGNAL_CONVERSATION_CHANGED)
        continue;
      id = confab_conversation_get_id (CONFAB_CONVERSATION (change->now));
      stored = confab_cache_get_conversation (self->cache, id);
      if (stored != NULL)
        g_hash_table_insert (self->ahead, g_strdup (id), stored);
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->n_items);
  if (old_n != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* The cache announces changes in the order it wrote them; a handler may have written the same
 * row again before this announcement (the chat view marking a message read as it arrives). The
 * list then moves the row straight to what the table holds, and remembers it is ahead until the
 * later announcements come: what the list shows always matches the table for this row, so the
 * pages it loads meanwhile agree with it. */
static void catch_up (ConfabConversationList *self);

static void
on_conversation_changed (ConfabCache            *cache,
                         ConfabConversation     *old_arg,
                         ConfabConversation     *now_arg,
                         ConfabConversationList *self)
{
  const char *id = confab_conversation_get_id (now_arg);
  g_autoptr (ConfabConversation) old = NULL;
  g_autoptr (ConfabConversation) now = NULL;
  gpointer ahead = NULL;
  gboolean old_in, new_in;
  guint old_pos = 0, new_pos = 0, old_n = self->n_items;

  /* In a batch (a slice of a catch-up) the list is shown as it was until the batch ends, then
   * catches up in one change (on_batch_ended): per row, each change costs the list view a
   * remove and an insert and rebinding rows, thousands of times over. Nothing reads the list
   * in between: the UI draws between slices. */
  if (confab_cache_in_batch (cache))
    self->batch_behind = TRUE;
  if (self->batch_behind)
    {
      ConfabConversation *shown = NULL;

      if (!g_hash_table_contains (self->batch_shown, id))
        {
          if (!g_hash_table_lookup_extended (self->ahead, id, NULL, (gpointer *) &shown))
            shown = old_arg;
          g_hash_table_insert (self->batch_shown, g_strdup (id),
                               shown != NULL ? g_object_ref (shown) : NULL);
        }
      g_hash_table_remove (self->ahead, id);
      /* A change between the slices of a catch-up that the list stays behind for (the agent
       * read a conversation): shown at once, with what the slices changed */
      if (!confab_cache_in_batch (cache))
        catch_up (self);
      return;
    }

  if (g_hash_table_steal_extended (self->ahead, id, NULL, &ahead))
    old = ahead;
  else
    old = old_arg != NULL ? g_object_ref (old_arg) : NULL;
  if (has_pending (self, id))
    {
      now = confab_cache_get_conversation (cache, id);
      if (now == NULL)
        now = g_object_ref (now_arg);
      g_hash_table_insert (self->ahead, g_strdup (id), g_object_ref (now));
    }
  else
    now = g_object_ref (now_arg);

  /* The old row's text is gone from the table, so whether it matched a search is unknown. */
  if (self->pattern != NULL)
    {
      reload (self);
      return;
    }

  old_in = old != NULL && matches (self, old);
  new_in = now != NULL && matches (self, now);
  if (old_in)
    old_pos = position_of (self, old);
  if (new_in)
    new_pos = position_of (self, now);

  if (old_in && new_in && old_pos == new_pos)
    {
      confab_page_cache_invalidate_from (self->pages, old_pos);
      g_list_model_items_changed (G_LIST_MODEL (self), old_pos, 1, 1);
      return;
    }
  if (old_in)
    {
      confab_page_cache_invalidate_from (self->pages, old_pos);
      self->n_items--;
      g_list_model_items_changed (G_LIST_MODEL (self), old_pos, 1, 0);
    }
  if (new_in)
    {
      confab_page_cache_invalidate_from (self->pages, new_pos);
      self->n_items++;
      g_list_model_items_changed (G_LIST_MODEL (self), new_pos, 0, 1);
    }
  if (old_n != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

typedef struct {
  ConfabConversation *shown;    /* as the list showed it before the batch (NULL: not shown) */
  ConfabConversation *stored;   /* as the table has it now (NULL: gone) */
} Moved;

static void
moved_clear (Moved *moved)
{
  g_clear_object (&moved->shown);
  g_clear_object (&moved->stored);
}

/* Rows of @rows (in the list's order) before the key of @conversation; @found set to the index
 * of the row with @conversation's id when it sits there. */
static guint
count_before (ConfabConversationList *self,
              GPtrArray              *rows,
              ConfabConversation     *conversation,
              int                    *found)
{
  const char *id = confab_conversation_get_id (conversation);
  gint64 sort_at = confab_cache_conversation_sort_at (conversation);
  guint lo = 0, hi = rows->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (sorts_before (self, rows->pdata[mid], sort_at, id))
        lo = mid + 1;
      else
        hi = mid;
    }
  if (found != NULL)
    *found = lo < rows->len && strcmp (confab_conversation_get_id (rows->pdata[lo]), id) == 0
             ? (int) lo : -1;
  return lo;
}

static int
compare_rows (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  ConfabConversation *x = *(ConfabConversation **) a, *y = *(ConfabConversation **) b;

  if (sorts_before (user_data, x, confab_cache_conversation_sort_at (y), confab_conversation_get_id (y)))
    return -1;
  return sorts_before (user_data, y, confab_cache_conversation_sort_at (x), confab_conversation_get_id (x));
}

/* on_batch_ended without the table when the list's first rows are loaded and hold the rows the
 * batch moved: their places before and after from those rows, and the new first rows made from
 * them (the rows the batch did not touch, the very objects the list view has, and the stored
 * ones) instead of read again. A catch-up's slice lands at the top of the list: a count per
 * moved row and the pages read again from the table were a third of a slice's end (perf,
 * bench/desktop-catchup.sh). FALSE: not known from the loaded rows, nothing changed. */
static gboolean
splice_loaded (ConfabConversationList *self,
               GArray                 *moved,
               guint                   new_n,
               guint                  *lo_out,
               guint                  *end_old_out)
{
  g_autoptr (GPtrArray) old_rows = NULL;
  g_autoptr (GPtrArray) kept = NULL;
  g_autoptr (GPtrArray) stored = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GHashTable) gone = NULL;
  guint old_n = self->n_items, lo = G_MAXUINT, end_old = 0, covered;
  gboolean whole;
  gint64 delta = (gint64) new_n - old_n;

  if (!g_queue_is_empty (confab_cache_get_pending_changes (self->cache)) ||
      g_hash_table_size (self->ahead) > 0)
    return FALSE;
  old_rows = confab_page_cache_dup_prefix (self->pages);
  whole = old_rows->len == old_n;
  if (old_rows->len == 0 && !whole)
    return FALSE;

  gone = g_hash_table_new (g_str_hash, g_str_equal);
  stored = g_ptr_array_new ();
  for (guint i = 0; i < moved->len; i++)
    {
      Moved *m = &g_array_index (moved, Moved, i);

      if (m->shown != NULL)
        {
          int at;

          count_before (self, old_rows, m->shown, &at);
          if (at < 0)
            return FALSE;   /* not among the loaded rows, or not as the list shows it */
          g_hash_table_add (gone, (gpointer) confab_conversation_get_id (m->shown));
          lo = MIN (lo, (guint) at);
          end_old = MAX (end_old, (guint) at + 1);
        }
      if (m->stored != NULL)
        {
          /* beyond the last loaded row its place is not known here */
          if (!whole && !sorts_before (self, m->stored,
                                       confab_cache_conversation_sort_at (old_rows->pdata[old_rows->len - 1]),
                                       confab_conversation_get_id (old_rows->pdata[old_rows->len - 1])))
            return FALSE;
          g_ptr_array_add (stored, m->stored);
        }
    }
  if ((gint64) old_n - g_hash_table_size (gone) + stored->len != new_n)
    return FALSE;   /* the bookkeeping disagrees with the table */

  kept = g_ptr_array_new ();
  for (guint i = 0; i < old_rows->len; i++)
    if (!g_hash_table_contains (gone, confab_conversation_get_id (old_rows->pdata[i])))
      g_ptr_array_add (kept, old_rows->pdata[i]);
  g_ptr_array_sort_with_data (stored, compare_rows, self);

  /* the new first rows: the kept and the stored ones merged, as far as the loaded rows reach */
  rows = g_ptr_array_new_full (kept->len + stored->len, g_object_unref);
  for (guint k = 0, t = 0; k < kept->len || t < stored->len;)
    {
      ConfabConversation *next;

      if (t < stored->len && (k == kept->len || compare_rows (&stored->pdata[t], &kept->pdata[k], self) < 0))
        {
          next = reuse_item (self, g_object_ref (stored->pdata[t++]));
          lo = MIN (lo, rows->len);
          end_old = (guint) MAX ((gint64) end_old, (gint64) rows->len + 1 - delta);
        }
      else
        next = g_object_ref (kept->pdata[k++]);
      g_ptr_array_add (rows, next);
    }
  covered = rows->len;
  end_old = MAX (end_old, lo);
  if (lo == G_MAXUINT || end_old > old_n || (gint64) end_old + delta < lo ||
      (gint64) end_old + delta > new_n || (whole && covered != new_n))
    return FALSE;

  confab_page_cache_set_prefix (self->pages, rows, whole);
  g_debug ("batch: rows %u..%u of %u placed from the %u loaded", lo, end_old, old_n, old_rows->len);
  *lo_out = lo;
  *end_old_out = end_old;
  return TRUE;
}

/* The batch is over: one change covering the rows it moved, from the first to the last one
 * (new conversations at the top: an insertion there, the rows below kept as they are), so
 * that the list view keeps its row widgets for the rest. A row's place before the batch is
 * the table's answer with the rows the batch changed counted where they were instead. */
static void
catch_up (ConfabConversationList *self)
{
  g_autoptr (GArray) moved = NULL;
  guint old_n = self->n_items, new_n, lo = G_MAXUINT, end_old = 0;
  GHashTableIter iter;
  gpointer key, value;
  gint64 delta;
  gboolean stale = self->batch_stale;

  if (!self->batch_behind)
    return;
  self->batch_behind = FALSE;
  self->batch_stale = FALSE;
  if (self->pattern != NULL)
    {
      g_hash_table_remove_all (self->batch_shown);
      reload (self);
      return;
    }

  moved = g_array_new (FALSE, TRUE, sizeof (Moved));
  g_array_set_clear_func (moved, (GDestroyNotify) moved_clear);
  g_hash_table_iter_init (&iter, self->batch_shown);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Moved m = { NULL, NULL };
      ConfabConversation *stored = confab_cache_get_conversation (self->cache, key);

      if (value != NULL && matches (self, value))
        m.shown = g_object_ref (value);
      if (stored != NULL && matches (self, stored))
        m.stored = g_steal_pointer (&stored);
      g_clear_object (&stored);
      if (m.shown != NULL || m.stored != NULL)
        g_array_append_val (moved, m);
    }
  g_hash_table_remove_all (self->batch_shown);
  if (moved->len == 0)
    return;   /* nothing this list shows */

  new_n = count_rows (self);
  delta = (gint64) new_n - old_n;
  if (!stale && splice_loaded (self, moved, new_n, &lo, &end_old))
    {
      self->n_items = new_n;
      g_list_model_items_changed (G_LIST_MODEL (self), lo, end_old - lo, (guint) (end_old + delta - lo));
      if (old_n != new_n)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
      return;
    }
  for (guint i = 0; i < moved->len; i++)
    {
      Moved *m = &g_array_index (moved, Moved, i);

      if (m->shown != NULL)
        {
          const char *id = confab_conversation_get_id (m->shown);
          gint64 sort_at = confab_cache_conversation_sort_at (m->shown);
          gint64 pos = position_of (self, m->shown);

          for (guint k = 0; k < moved->len; k++)
            {
              Moved *other = &g_array_index (moved, Moved, k);

              if (k == i)
                continue;
              if (other->stored != NULL && sorts_before (self, other->stored, sort_at, id))
                pos--;
              if (other->shown != NULL && sorts_before (self, other->shown, sort_at, id))
                pos++;
            }
          pos = MAX (pos, 0);
          lo = MIN (lo, (guint) pos);
          end_old = MAX (end_old, (guint) pos + 1);
        }
      if (m->stored != NULL)
        {
          guint pos = position_of (self, m->stored);

          lo = MIN (lo, pos);
          end_old = (guint) MAX ((gint64) end_old, (gint64) pos + 1 - delta);
        }
    }

  end_old = MAX (end_old, lo);
  if (end_old > old_n || (gint64) end_old + delta < lo || (gint64) end_old + delta > new_n)
    {
      /* the bookkeeping disagrees with the table: read it all */
      g_debug ("batch: rows %u..%u of %u do not add up to %u; reloading", lo, end_old, old_n, new_n);
      reload (self);
      return;
    }
  confab_page_cache_invalidate_from (self->pages, lo);
  self->n_items = new_n;
  g_list_model_items_changed (G_LIST_MODEL (self), lo, end_old - lo, (guint) (end_old + delta - lo));
  if (old_n != new_n)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* More batches of a catch-up follow (confab_cache_set_batch_held): the list stays behind and
 * catches up at a later batch's end, unless it had to read the table meanwhile. */
static void
on_batch_ended (ConfabCache            *cache,
                ConfabConversationList *self)
{
  if (self->batch_behind && !self->batch_stale && confab_cache_get_batch_held (cache))
    return;
  catch_up (self);
}

/* --- GListModel --- */

static GType
confab_conversation_list_get_item_type (GListModel *model)
{
  return CONFAB_TYPE_CONVERSATION;
}

static guint
confab_conversation_list_get_n_items (GListModel *model)
{
  return CONFAB_CONVERSATION_LIST (model)->n_items;
}

static gpointer
confab_conversation_list_get_item (GListModel *model,
                                   guint       position)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (model);

  if (position >= self->n_items)
    return NULL;
  return confab_page_cache_get (self->pages, position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = confab_conversation_list_get_item_type;
  iface->get_n_items = confab_conversation_list_get_n_items;
  iface->get_item = confab_conversation_list_get_item;
}

/* --- API --- */

ConfabConversationList *
confab_conversation_list_new (ConfabCache *cache)
{
  g_return_val_if_fail (CONFAB_IS_CACHE (cache), NULL);
  return g_object_new (CONFAB_TYPE_CONVERSATION_LIST, "cache", cache, NULL);
}

void
confab_conversation_list_set_site_id (ConfabConversationList *self,
                                      const char             *site_id)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_LIST (self));

  if (set_str (&self->site_id, site_id))
    {
      if (self->cache != NULL)
        reload (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
    }
}

const char *
confab_conversation_list_get_site_id (ConfabConversationList *self)
{
  return self->site_id;
}

void
confab_conversation_list_set_filter (ConfabConversationList  *self,
                                     ConfabConversationFilter filter)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_LIST (self));

  if (self->filter == filter)
    return;
  self->filter = filter;
  if (self->cache != NULL)
    reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

ConfabConversationFilter
confab_conversation_list_get_filter (ConfabConversationList *self)
{
  return self->filter;
}

void
confab_conversation_list_set_sort (ConfabConversationList *self,
                                   ConfabConversationSort  sort)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_LIST (self));

  if (self->sort == sort)
    return;
  self->sort = sort;
  if (self->cache != NULL)
    reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SORT]);
}

ConfabConversationSort
confab_conversation_list_get_sort (ConfabConversationList *self)
{
  return self->sort;
}

void
confab_conversation_list_set_search (ConfabConversationList *self,
                                     const char             *search)
{
  g_autoptr (GString) pattern = NULL;

  g_return_if_fail (CONFAB_IS_CONVERSATION_LIST (self));

  if (search != NULL && *search == '\0')
    search = NULL;
  if (!set_str (&self->search, search))
    return;

  g_clear_pointer (&self->pattern, g_free);
  if (search != NULL)
    {
      /* what the user typed is literal text, not LIKE syntax */
      pattern = g_string_new ("%");
      for (const char *p = search; *p; p++)
        {
          if (*p == '%' || *p == '_' || *p == '\\')
            g_string_append_c (pattern, '\\');
          g_string_append_c (pattern, *p);
        }
      g_string_append_c (pattern, '%');
      self->pattern = g_string_free (g_steal_pointer (&pattern), FALSE);
    }
  if (self->cache != NULL)
    reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH]);
}

const char *
confab_conversation_list_get_search (ConfabConversationList *self)
{
  return self->search;
}

void
confab_conversation_list_set_label_id (ConfabConversationList *self,
                                       const char             *label_id)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_LIST (self));

  if (label_id != NULL && *label_id == '\0')
    label_id = NULL;
  if (!set_str (&self->label_id, label_id))
    return;
  if (self->cache != NULL)
    reload (self);
}

const char *
confab_conversation_list_get_label_id (ConfabConversationList *self)
{
  return self->label_id;
}

void
confab_conversation_list_set_team_id (ConfabConversationList *self,
                                      const char             *team_id)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_LIST (self));

  if (team_id != NULL && *team_id == '\0')
    team_id = NULL;
  if (!set_str (&self->team_id, team_id))
    return;
  if (self->cache != NULL)
    reload (self);
}

const char *
confab_conversation_list_get_team_id (ConfabConversationList *self)
{
  return self->team_id;
}

void
confab_conversation_list_set_agent_id (ConfabConversationList *self,
                                       const char             *agent_id)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_LIST (self));

  if (!set_str (&self->agent_id, agent_id))
    return;
  if (self->cache != NULL && self->filter == CONFAB_CONVERSATION_FILTER_MINE)
    reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AGENT_ID]);
}

int
confab_conversation_list_find (ConfabConversationList *self,
                               const char             *conversation_id)
{
  g_autoptr (ConfabConversation) conversation = NULL;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION_LIST (self), -1);

  conversation = confab_cache_get_conversation (self->cache, conversation_id);
  if (self->batch_behind && !confab_cache_in_batch (self->cache))
    {
      ConfabConversation *shown = NULL;

      /* held back by a catch-up: where the list shows it, if it does */
      if (shown_state (self, conversation_id, &shown))
        g_set_object (&conversation, shown);
    }
  if (conversation == NULL || !matches (self, conversation))
    return -1;
  if (self->pattern != NULL)
    {
      /* a search list is short: look */
      for (guint i = 0; i < self->n_items; i++)
        {
          g_autoptr (ConfabConversation) item = g_list_model_get_item (G_LIST_MODEL (self), i);
          if (item && g_strcmp0 (confab_conversation_get_id (item), conversation_id) == 0)
            return (int) i;
        }
      return -1;
    }
  return (int) position_of (self, conversation);
}

guint
confab_conversation_list_get_n_loaded (ConfabConversationList *self)
{
  return confab_page_cache_n_loaded (self->pages);
}

/* --- GObject --- */

static void
confab_conversation_list_constructed (GObject *object)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (object);

  G_OBJECT_CLASS (confab_conversation_list_parent_class)->constructed (object);

  g_return_if_fail (self->cache != NULL);
  build_statements (self);
  self->n_items = count_rows (self);
  self->changed_id = g_signal_connect (self->cache, "conversation-changed",
                                       G_CALLBACK (on_conversation_changed), self);
  self->batch_id = g_signal_connect (self->cache, "batch-ended", G_CALLBACK (on_batch_ended), self);
}

static void
confab_conversation_list_dispose (GObject *object)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (object);

  clear_statements (self);
  if (self->pages != NULL)
    confab_page_cache_clear (self->pages);
  if (self->cache != NULL)
    {
      g_clear_signal_handler (&self->changed_id, self->cache);
      g_clear_signal_handler (&self->batch_id, self->cache);
    }
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (confab_conversation_list_parent_class)->dispose (object);
}

static void
confab_conversation_list_finalize (GObject *object)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (object);

  g_clear_pointer (&self->pages, confab_page_cache_free);
  g_clear_pointer (&self->ahead, g_hash_table_unref);
  g_clear_pointer (&self->batch_shown, g_hash_table_unref);
  g_clear_pointer (&self->handed_out, g_hash_table_unref);
  g_free (self->site_id);
  g_free (self->search);
  g_free (self->label_id);
  g_free (self->team_id);
  g_free (self->pattern);
  g_free (self->agent_id);

  G_OBJECT_CLASS (confab_conversation_list_parent_class)->finalize (object);
}

static void
confab_conversation_list_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_CACHE:
      g_value_set_object (value, self->cache);
      break;

    case PROP_SITE_ID:
      g_value_set_string (value, self->site_id);
      break;

    case PROP_FILTER:
      g_value_set_enum (value, self->filter);
      break;

    case PROP_SORT:
      g_value_set_enum (value, self->sort);
      break;

    case PROP_SEARCH:
      g_value_set_string (value, self->search);
      break;

    case PROP_AGENT_ID:
      g_value_set_string (value, self->agent_id);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_list_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_CACHE:
      self->cache = g_value_dup_object (value);
      break;

    case PROP_SITE_ID:
      confab_conversation_list_set_site_id (self, g_value_get_string (value));
      break;

    case PROP_FILTER:
      confab_conversation_list_set_filter (self, g_value_get_enum (value));
      break;

    case PROP_SORT:
      confab_conversation_list_set_sort (self, g_value_get_enum (value));
      break;

    case PROP_SEARCH:
      confab_conversation_list_set_search (self, g_value_get_string (value));
      break;

    case PROP_AGENT_ID:
      confab_conversation_list_set_agent_id (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_list_class_init (ConfabConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = confab_conversation_list_constructed;
  object_class->dispose = confab_conversation_list_dispose;
  object_class->finalize = confab_conversation_list_finalize;
  object_class->get_property = confab_conversation_list_get_property;
  object_class->set_property = confab_conversation_list_set_property;

  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, "The cache the conversations come from",
                         CONFAB_TYPE_CACHE,
                         rw | G_PARAM_CONSTRUCT_ONLY);
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, "Only this site's conversations; NULL for all sites",
                         NULL,
                         rw);
  properties[PROP_FILTER] =
    g_param_spec_enum ("filter", NULL, "Which conversations",
                       CONFAB_TYPE_CONVERSATION_FILTER, CONFAB_CONVERSATION_FILTER_ALL,
                       rw);
  properties[PROP_SORT] =
    g_param_spec_enum ("sort", NULL, "In which order",
                       CONFAB_TYPE_CONVERSATION_SORT, CONFAB_CONVERSATION_SORT_NEWEST,
                       rw);
  properties[PROP_SEARCH] =
    g_param_spec_string ("search", NULL, "Text to look for in names, emails and messages",
                         NULL,
                         rw);
  properties[PROP_AGENT_ID] =
    g_param_spec_string ("agent-id", NULL, "The signed-in agent, for the “mine” filter",
                         NULL,
                         rw);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, "Number of conversations",
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_conversation_list_init (ConfabConversationList *self)
{
  self->pages = confab_page_cache_new (load_page, self);
  self->ahead = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->batch_shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_nullable);
  self->handed_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) weak_ref_free);
}
