/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-list.c: the inbox model under bursts. A mirror of the model is kept the way
 * GtkListView keeps its rows (items-changed applied to an array, the added items read at once,
 * inside the emission), and after every event it must hold exactly the cache's rows: the same
 * ids in the same order, none twice, none stale. Handlers that write to the cache while it
 * announces a change — the chat view marking the open conversation read when its message
 * arrives — are part of the replay, as in the app. */
#define G_LOG_DOMAIN "test-desktop-list"

#include <glib/gstdio.h>

#include "confab-cache-private.h"
#include "confab-conversation-list.h"
#include "confab-util.h"

#define N_CONVERSATIONS 300
#define T0              G_GINT64_CONSTANT (1700000000000)

typedef struct {
  char                   *dir;
  ConfabCache            *cache;
  ConfabConversationList *list;
  GPtrArray              *mirror;    /* ConfabConversation*, as a list view holds them */
  char                   *open_id;   /* the conversation the "chat view" shows */
  gint64                  clock_ms;  /* time of the next message */
  GHashTable             *seqs;      /* id → last seq sent (GINT_TO_POINTER) */
  guint                   nested;    /* writes made from inside a change */
  guint                   emissions; /* items-changed */
} Fixture;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  f->emissions++;
  g_assert_cmpuint (position + removed, <=, f->mirror->len);
  g_ptr_array_remove_range (f->mirror, position, removed);
  for (guint i = 0; i < added; i++)
    {
      ConfabConversation *item = g_list_model_get_item (model, position + i);

      g_assert_nonnull (item);
      g_ptr_array_insert (f->mirror, position + i, item);
    }
  g_assert_cmpuint (f->mirror->len, ==, g_list_model_get_n_items (model));
}

/* The chat view: a message of the open conversation arrived (or changed) → mark it read,
 * from inside the cache's emission. */
static void
on_message_changed (ConfabCache   *cache,
                    ConfabMessage *old,
                    ConfabMessage *now,
                    Fixture       *f)
{
  g_autoptr (ConfabConversation) conversation = NULL;

  if (now == NULL || f->open_id == NULL ||
      g_strcmp0 (confab_message_get_conversation_id (now), f->open_id) != 0)
    return;
  conversation = confab_cache_get_conversation (cache, f->open_id);
  if (conversation != NULL && confab_conversation_get_unread (conversation) > 0)
    {
      g_autoptr (GError) error = NULL;

      f->nested++;
      g_assert_true (confab_cache_mark_read (cache, f->open_id,
                                             confab_conversation_get_last_seq (conversation), &error));
      g_assert_no_error (error);
    }
}

/* A handler before the list's own: the window reacting to the open conversation changing
 * (its unread count going up) by marking it read at once. */
static void
on_conversation_changed_first (ConfabCache        *cache,
                               ConfabConversation *old,
                               ConfabConversation *now,
                               Fixture            *f)
{
  if (f->open_id != NULL && g_strcmp0 (confab_conversation_get_id (now), f->open_id) == 0 &&
      confab_conversation_get_unread (now) > 0)
    {
      g_autoptr (GError) error = NULL;

      f->nested++;
      g_assert_true (confab_cache_mark_read (cache, f->open_id,
                                             confab_conversation_get_last_seq (now), &error));
      g_assert_no_error (error);
    }
}

static void
add_conversation (Fixture    *f,
                  const char *id,
                  const char *status,
                  gint64      at_ms)
{
  g_autoptr (JsonObject) conversation = json_object_new ();
  g_autofree char *at = confab_format_time (at_ms);
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (conversation, "id", id);
  json_object_set_string_member (conversation, "site_id", "s1");
  json_object_set_string_member (conversation, "visitor_id", "v1");
  json_object_set_string_member (conversation, "status", status);
  json_object_set_null_member (conversation, "assignee");
  json_object_set_string_member (conversation, "created_at", at);
  json_object_set_string_member (conversation, "last_message_at", at);
  g_assert_true (confab_cache_apply_conversation (f->cache, conversation, 0, &error));
  g_assert_no_error (error);
}

static void
set_status (Fixture    *f,
            const char *id,
            const char *status)
{
  g_autoptr (ConfabConversation) now = confab_cache_get_conversation (f->cache, id);
  g_autoptr (JsonObject) conversation = json_object_new ();
  g_autofree char *created = confab_format_time (confab_conversation_get_created_at (now));
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (conversation, "id", id);
  json_object_set_string_member (conversation, "site_id", "s1");
  json_object_set_string_member (conversation, "visitor_id", "v1");
  json_object_set_string_member (conversation, "status", status);
  json_object_set_null_member (conversation, "assignee");
  json_object_set_string_member (conversation, "created_at", created);
  json_object_set_int_member (conversation, "last_seq", confab_conversation_get_last_seq (now));
  g_assert_true (confab_cache_apply_conversation (f->cache, conversation, 0, &error));
  g_assert_no_error (error);
}

static void
send_message (Fixture    *f,
              const char *id)
{
  g_autoptr (JsonObject) frame = json_object_new ();
  JsonObject *sender = json_object_new ();
  gint64 seq = GPOINTER_TO_INT (g_hash_table_lookup (f->seqs, id)) + 1;
  g_autofree char *at = NULL;
  g_autoptr (GError) error = NULL;

  /* 15 ms apart, like the burst of the report; now and then two in the same millisecond */
  f->clock_ms += g_test_rand_int_range (0, 4) == 0 ? 0 : 15;
  at = confab_format_time (f->clock_ms);
  g_hash_table_insert (f->seqs, g_strdup (id), GINT_TO_POINTER ((int) seq));
  json_object_set_string_member (frame, "conversation_id", id);
  json_object_set_int_member (frame, "seq", seq);
  json_object_set_string_member (sender, "type", "visitor");
  json_object_set_object_member (frame, "sender", sender);
  json_object_set_string_member (frame, "body", "burst");
  json_object_set_string_member (frame, "created_at", at);
  g_assert_true (confab_cache_apply_message (f->cache, frame, 0, &error));
  g_assert_no_error (error);
}

/* The mirror against a fresh read of the cache, row by row. */
static void
check (Fixture    *f,
       const char *step)
{
  g_autoptr (ConfabConversationList) fresh = confab_conversation_list_new (f->cache);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n;

  g_object_set (fresh,
                "filter", confab_conversation_list_get_filter (f->list),
                "sort", confab_conversation_list_get_sort (f->list),
                NULL);
  n = g_list_model_get_n_items (G_LIST_MODEL (fresh));
  if (f->mirror->len != n)
    g_error ("%s: the list shows %u rows, the cache has %u", step, f->mirror->len, n);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabConversation) want = g_list_model_get_item (G_LIST_MODEL (fresh), i);
      ConfabConversation *shown = f->mirror->pdata[i];
      const char *id = confab_conversation_get_id (shown);

      if (!g_hash_table_add (seen, (gpointer) id))
        g_error ("%s: %s shows twice (again at row %u)", step, id, i);
      if (g_strcmp0 (id, confab_conversation_get_id (want)) != 0)
        g_error ("%s: row %u shows %s, the cache has %s there", step, i, id,
                 confab_conversation_get_id (want));
      if (confab_conversation_get_last_seq (shown) != confab_conversation_get_last_seq (want) ||
          confab_conversation_get_unread (shown) != confab_conversation_get_unread (want) ||
          g_strcmp0 (confab_conversation_get_status (shown),
                     confab_conversation_get_status (want)) != 0)
        g_error ("%s: row %u (%s) is stale: seq %" G_GINT64_FORMAT " unread %" G_GINT64_FORMAT
                 " %s, the cache has %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT " %s",
                 step, i, id, confab_conversation_get_last_seq (shown),
                 confab_conversation_get_unread (shown), confab_conversation_get_status (shown),
                 confab_conversation_get_last_seq (want), confab_conversation_get_unread (want),
                 confab_conversation_get_status (want));
    }
  /* the model's own lookups agree */
  for (guint i = 0; i < n; i += 37)
    g_assert_cmpint (confab_conversation_list_find (f->list,
                       confab_conversation_get_id (f->mirror->pdata[i])), ==, (int) i);
}

static void
remove_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("confab-list-test-XXXXXX", NULL);
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->cache = confab_cache_new (path, NULL);
  g_assert_nonnull (f->cache);
  f->seqs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < N_CONVERSATIONS; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%03u", i);

      add_conversation (f, id, i % 3 == 0 ? "pending" : "open", T0 + i * 1000);
    }
  f->clock_ms = T0 + N_CONVERSATIONS * 1000;
  f->mirror = g_ptr_array_new_with_free_func (g_object_unref);
}

/* After the list exists: the mirror starts from the whole model. */
static void
attach (Fixture                 *f,
        ConfabConversationFilter filter,
        ConfabConversationSort   sort)
{
  f->list = confab_conversation_list_new (f->cache);
  g_object_set (f->list, "filter", filter, "sort", sort, NULL);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (f->list)); i++)
    g_ptr_array_add (f->mirror, g_list_model_get_item (G_LIST_MODEL (f->list), i));
  g_signal_connect (f->list, "items-changed", G_CALLBACK (on_items_changed), f);
  check (f, "start");
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->list);
  g_clear_object (&f->cache);
  g_clear_pointer (&f->mirror, g_ptr_array_unref);
  g_clear_pointer (&f->seqs, g_hash_table_unref);
  g_free (f->open_id);
  remove_dir (f->dir);
  g_free (f->dir);
}

/* 60 messages 15 ms apart to the open conversation, one at a time to others in between. */
static void
burst (Fixture *f,
       guint    others_every)
{
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *step = NULL;

      send_message (f, f->open_id);
      step = g_strdup_printf ("burst message %u", i + 1);
      check (f, step);
      if (others_every > 0 && i % others_every == 0)
        {
          g_autofree char *other = g_strdup_printf ("c%03d",
                                                    g_test_rand_int_range (0, N_CONVERSATIONS));
          send_message (f, other);
          check (f, "another conversation's message");
        }
    }
}

/* The report's case: the chat view marks the burst read as each message arrives. */
static void
test_burst_open_conversation (Fixture       *f,
                              gconstpointer  data)
{
  g_signal_connect (f->cache, "message-changed", G_CALLBACK (on_message_changed), f);
  attach (f, CONFAB_CONVERSATION_FILTER_ALL, CONFAB_CONVERSATION_SORT_NEWEST);
  f->open_id = g_strdup ("c150");
  burst (f, 3);
  g_assert_cmpuint (f->nested, >, 0);

  /* and for a conversation far down the list, interleaved with every message */
  g_free (f->open_id);
  f->open_id = g_strdup ("c007");
  burst (f, 1);
}

/* A conversation-changed handler ahead of the list writes to the cache. */
static void
test_burst_nested_conversation_change (Fixture       *f,
                                       gconstpointer  data)
{
  g_signal_connect (f->cache, "conversation-changed", G_CALLBACK (on_conversation_changed_first), f);
  attach (f, CONFAB_CONVERSATION_FILTER_ALL, CONFAB_CONVERSATION_SORT_NEWEST);
  f->open_id = g_strdup ("c042");
  burst (f, 2);
  g_assert_cmpuint (f->nested, >, 0);
}

/* Many conversations at once, moves in both directions, rows leaving and joining a filter,
 * with the "chat view" open on one of them; the waiting-longest order moves rows down. */
static void
test_mixed_bursts (Fixture       *f,
                   gconstpointer  data)
{
  const ConfabConversationSort sort = GPOINTER_TO_INT (data);
  static const char * const statuses[] = { "open", "pending", "resolved" };

  g_signal_connect (f->cache, "message-changed", G_CALLBACK (on_message_changed), f);
  attach (f, CONFAB_CONVERSATION_FILTER_OPEN, sort);
  f->open_id = g_strdup ("c100");
  for (guint i = 0; i < 600; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%03d", g_test_rand_int_range (0, N_CONVERSATIONS));
      g_autofree char *step = g_strdup_printf ("step %u (%s)", i, id);

      switch (g_test_rand_int_range (0, 6))
        {
        case 0:
          set_status (f, id, statuses[g_test_rand_int_range (0, 3)]);
          break;
        case 1:
          {
            g_autofree char *fresh = g_strdup_printf ("n%04u", i);
            add_conversation (f, fresh, "open", f->clock_ms += 15);
          }
          break;
        case 2:
          send_message (f, f->open_id);
          break;
        default:
          send_message (f, id);
        }
      check (f, step);
    }
}

/* A catch-up applies events in batches (one transaction each): the list catches up once at
 * the batch's end; the rows are right after every batch, nested writes included, and a batch
 * costs the list view one change, not two per event. */
static void
test_batches (Fixture       *f,
              gconstpointer  data)
{
  const ConfabConversationSort sort = GPOINTER_TO_INT (data) & 1;
  const ConfabConversationFilter filter = GPOINTER_TO_INT (data) >> 1;
  static const char * const statuses[] = { "open", "pending", "resolved" };
  g_autoptr (GError) error = NULL;

  g_signal_connect (f->cache, "message-changed", G_CALLBACK (on_message_changed), f);
  attach (f, filter, sort);
  f->open_id = g_strdup ("c010");
  for (guint batch = 0; batch < 20; batch++)
    {
      guint size = batch % 2 == 0 ? 5 : 400;
      g_autofree char *step = g_strdup_printf ("after batch %u (%u events)", batch, size);

      f->emissions = 0;
      g_assert_true (confab_cache_batch_begin (f->cache, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < size; i++)
        {
          g_autofree char *id = g_strdup_printf ("c%03d", g_test_rand_int_range (0, N_CONVERSATIONS));

          switch (g_test_rand_int_range (0, 5))
            {
            case 0:
              {
                g_autofree char *fresh = g_strdup_printf ("b%02u-%03u", batch, i);
                add_conversation (f, fresh, "open", f->clock_ms += 15);
              }
              break;
            case 4:
              set_status (f, id, statuses[g_test_rand_int_range (0, 3)]);
              break;
            case 1:
              send_message (f, f->open_id);
              break;
            default:
              send_message (f, id);
            }
        }
      g_assert_true (confab_cache_batch_end (f->cache, &error));
      g_assert_no_error (error);
      check (f, step);
      /* one change for the whole batch */
      g_assert_cmpuint (f->emissions, <=, 1);
    }
}

static int
count_vm_steps (void *data)
{
  (*(guint *) data)++;
  return 0;
}

/* A list view keeps a row's widget through items-changed only when the item at its new place
 * is the object it had (GTK 4.8's list item manager matches them by pointer): a batch that puts
 * new conversations on top and moves a few rows must hand the rows it did not change back as the
 * same objects, and only those. Otherwise the view builds every row widget it holds again on
 * each slice of a catch-up (bench/desktop-catchup.sh). And the batch's end does it from the rows
 * loaded, not by reading the table again. */
static void
test_batch_keeps_unchanged_items (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  attach (f, CONFAB_CONVERSATION_FILTER_ALL, CONFAB_CONVERSATION_SORT_NEWEST);
  for (guint batch = 0; batch < 10; batch++)
    {
      g_autofree char *step = g_strdup_printf ("after batch %u", batch);
      g_autoptr (GHashTable) before = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
      g_autoptr (GHashTable) touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      guint kept = 0, rows_before = f->mirror->len, steps = 0;

      for (guint i = 0; i < f->mirror->len; i++)
        g_hash_table_insert (before, (gpointer) confab_conversation_get_id (f->mirror->pdata[i]),
                             g_object_ref (f->mirror->pdata[i]));
      g_assert_true (confab_cache_batch_begin (f->cache, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < 30; i++)
        {
          g_autofree char *fresh = g_strdup_printf ("n%02u-%02u", batch, i);

          add_conversation (f, fresh, "open", f->clock_ms += 15);
          if (i % 10 == 9)
            {
              char *id = g_strdup_printf ("c%03d", g_test_rand_int_range (0, N_CONVERSATIONS));

              send_message (f, id);
              g_hash_table_add (touched, id);
            }
        }
      sqlite3_progress_handler (confab_cache_get_db (f->cache), 1, count_vm_steps, &steps);
      g_assert_true (confab_cache_batch_end (f->cache, &error));
      sqlite3_progress_handler (confab_cache_get_db (f->cache), 0, NULL, NULL);
      g_assert_no_error (error);
      /* the list's first rows are loaded (the mirror read them all) and hold every row the
       * batch moved while it has at most 8 pages: the batch's end places them from those,
       * without reading the table again (20,000–60,000 SQLite VM steps before, ~2,000 now) */
      if (rows_before + 30 <= 8 * 64)
        g_assert_cmpuint (steps, <, 10000);
      check (f, step);

      for (guint i = 0; i < f->mirror->len; i++)
        {
          ConfabConversation *now = f->mirror->pdata[i];
          const char *id = confab_conversation_get_id (now);
          ConfabConversation *old = g_hash_table_lookup (before, id);

          if (old == NULL)
            continue;   /* new in this batch */
          if (g_hash_table_contains (touched, id))
            {
              g_assert_false (confab_conversation_equal (old, now));
              continue;
            }
          if (old != now)
            g_error ("%s: row %u (%s) did not change but is a new object", step, i, id);
          kept++;
        }
      g_assert_cmpuint (kept, ==, rows_before - g_hash_table_size (touched));
    }
}

#define VIEW_ROWS 200   /* the rows GTK 4.8's list view keeps widgets for */

/* One random event of a catch-up: a new conversation, a message, a status. */
static void
catchup_event (Fixture    *f,
               const char *fresh)
{
  static const char * const statuses[] = { "open", "pending", "resolved" };
  g_autofree char *id = g_strdup_printf ("c%03d", g_test_rand_int_range (0, N_CONVERSATIONS));

  switch (g_test_rand_int_range (0, 5))
    {
    case 0:
    case 1:
      add_conversation (f, fresh, "open", f->clock_ms += 15);
      break;
    case 2:
      set_status (f, id, statuses[g_test_rand_int_range (0, 3)]);
      break;
    case 3:
      send_message (f, f->open_id);
      break;
    default:
      send_message (f, id);
    }
}

/* A catch-up holds the list back for a few slices (confab_cache_set_batch_held): the list view
 * sees no change at their ends and the rows it shows stay exactly as they were (the same
 * objects, found where they are), then one change brings every row right. Unless the list had
 * to read rows from the table meanwhile (the agent scrolled to rows not loaded), or something
 * outside the slices wrote a conversation (the agent read one): then it catches up at once. */
static void
test_held_batches (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  guint held_ends = 0, stale_rounds = 0, outside_rounds = 0;

  /* more rows than the list keeps loaded (8 pages of 64) */
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *id = g_strdup_printf ("d%03u", i);

      add_conversation (f, id, "open", T0 - 1000 - i * 1000);
    }
  g_signal_connect (f->cache, "message-changed", G_CALLBACK (on_message_changed), f);
  attach (f, CONFAB_CONVERSATION_FILTER_ALL, CONFAB_CONVERSATION_SORT_NEWEST);
  f->open_id = g_strdup ("c020");
  for (guint round = 0; round < 16; round++)
    {
      g_autoptr (GPtrArray) shown = g_ptr_array_new_with_free_func (g_object_unref);
      /* every fourth round the view reads a row far down between two slices, every fourth
       * (another) an agent's write comes between them */
      gboolean reads_table = round % 4 == 1, writes_outside = round % 4 == 3;
      gboolean caught_up = FALSE;

      for (guint i = 0; i < f->mirror->len; i++)
        g_ptr_array_add (shown, g_object_ref (f->mirror->pdata[i]));
      /* the rows a list view holds at the top, loaded before the slices, as the view has them */
      for (guint i = 0; i < VIEW_ROWS; i++)
        g_object_unref (g_list_model_get_item (G_LIST_MODEL (f->list), i));
      for (guint slice = 0; slice < 3; slice++)
        {
          g_autofree char *step = g_strdup_printf ("round %u, held slice %u", round, slice);

          f->emissions = 0;
          g_assert_true (confab_cache_batch_begin (f->cache, &error));
          g_assert_no_error (error);
          for (guint i = 0; i < 40; i++)
            {
              g_autofree char *fresh = g_strdup_printf ("h%02u-%u-%02u", round, slice, i);
              catchup_event (f, fresh);
            }
          confab_cache_set_batch_held (f->cache, TRUE);
          g_assert_true (confab_cache_batch_end (f->cache, &error));
          g_assert_no_error (error);
          if (caught_up)
            {
              /* held again after catching up */
              g_assert_cmpuint (f->emissions, ==, 0);
              continue;
            }
          if (slice > 0 && reads_table)
            {
              /* the stale page read after the first slice: this end is not held */
              g_assert_cmpuint (f->emissions, ==, 1);
              check (f, step);
              caught_up = TRUE;
              stale_rounds++;
              continue;
            }
          held_ends++;
          /* held: no change, what the view shows is what it showed, found where it is */
          g_assert_cmpuint (f->emissions, ==, 0);
          g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, shown->len);
          for (guint i = 0; i < VIEW_ROWS; i += 7)
            {
              g_autoptr (ConfabConversation) item = g_list_model_get_item (G_LIST_MODEL (f->list), i);

              if (item != shown->pdata[i])
                g_error ("%s: row %u changed while held", step, i);
              g_assert_cmpint (confab_conversation_list_find (f->list,
                                 confab_conversation_get_id (shown->pdata[i])), ==, (int) i);
            }
          if (reads_table)
            {
              /* a page beyond the 8 the list keeps: read from the table, which is ahead */
              g_autoptr (ConfabConversation) far = NULL;

              g_assert_cmpuint (shown->len, >, 8 * 64);
              far = g_list_model_get_item (G_LIST_MODEL (f->list), shown->len - 1);
              g_assert_nonnull (far);
            }
          if (writes_outside)
            {
              /* the agent reads a conversation between two slices: shown at once */
              g_autoptr (ConfabConversation) read = confab_cache_get_conversation (f->cache, "c200");

              g_assert_true (confab_cache_mark_read (f->cache, "c200",
                                                     confab_conversation_get_last_seq (read), &error));
              g_assert_no_error (error);
              if (f->emissions == 0)
                {
                  /* nothing to mark: write something that is */
                  send_message (f, "c200");
                }
              g_assert_cmpuint (f->emissions, >=, 1);
              check (f, "a write between held slices");
              caught_up = TRUE;
              outside_rounds++;
            }
        }
      /* released between slices: one change, every row right */
      f->emissions = 0;
      confab_cache_set_batch_held (f->cache, FALSE);
      g_assert_cmpuint (f->emissions, ==, 1);
      check (f, "released");
    }
  g_assert_cmpuint (held_ends, >, 16);
  g_assert_cmpuint (stale_rounds, ==, 4);
  g_assert_cmpuint (outside_rounds, ==, 4);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/desktop/list/burst-open-conversation", Fixture, NULL,
              fixture_set_up, test_burst_open_conversation, fixture_tear_down);
  g_test_add ("/desktop/list/burst-nested-conversation-change", Fixture, NULL,
              fixture_set_up, test_burst_nested_conversation_change, fixture_tear_down);
  g_test_add ("/desktop/list/mixed-bursts-newest", Fixture,
              GINT_TO_POINTER (CONFAB_CONVERSATION_SORT_NEWEST),
              fixture_set_up, test_mixed_bursts, fixture_tear_down);
  g_test_add ("/desktop/list/mixed-bursts-waiting-longest", Fixture,
              GINT_TO_POINTER (CONFAB_CONVERSATION_SORT_WAITING_LONGEST),
              fixture_set_up, test_mixed_bursts, fixture_tear_down);
  g_test_add ("/desktop/list/batches-newest", Fixture,
              GINT_TO_POINTER (CONFAB_CONVERSATION_SORT_NEWEST | CONFAB_CONVERSATION_FILTER_ALL << 1),
              fixture_set_up, test_batches, fixture_tear_down);
  g_test_add ("/desktop/list/batches-open-waiting-longest", Fixture,
              GINT_TO_POINTER (CONFAB_CONVERSATION_SORT_WAITING_LONGEST | CONFAB_CONVERSATION_FILTER_OPEN << 1),
              fixture_set_up, test_batches, fixture_tear_down);
  g_test_add ("/desktop/list/batch-keeps-unchanged-items", Fixture, NULL,
              fixture_set_up, test_batch_keeps_unchanged_items, fixture_tear_down);
  g_test_add ("/desktop/list/held-batches", Fixture, NULL,
              fixture_set_up, test_held_batches, fixture_tear_down);
  return g_test_run ();
}
