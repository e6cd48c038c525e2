/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-writer.c: visitors' messages stored on a second thread ([store] writer-thread).
 *
 * The main loop parses and checks a visitor's message, then hands it to the writer instead of
 * running its SQL itself; the writer stores a whole batch of them in one transaction on its own
 * connection to the database, and the main loop hears of the commit through an eventfd and only
 * then sends the acks and the frames ("ack after durable", as with the group commit of
 * confab-hub-delivery.c). Meanwhile the main loop reads, parses and sends the next ones: SQLite
 * runs on the second core.
 *
 * Only the common case goes this way: a visitor with a conversation that is open, a message
 * without an attachment. Anything else (a first message, a reopened conversation, an
 * attachment, every other frame that writes) runs on the main loop as before, and before it does
 * the writer is drained (hub_writer_sync(): its batch waited for, its frames sent, what waits
 * for the next batch stored), so that one client's frames are stored in the order they came and
 * the main loop's own transactions never meet the writer's lock. A message the writer finds is
 * not for it after all (the conversation was resolved meanwhile) is handed back and runs on the
 * main loop, and so does every later message of the same visitor in that batch.
 *
 * On PostgreSQL the writer has a connection of its own too (with [cluster] redis as well: what
 * it stores is announced to the other relays as the main loop's batches are, announce_to_cluster
 * ()), and stores a whole batch in one flight: confab_store_append_batch () sends BEGIN, a statement per message and COMMIT
 * together (libpq's pipeline mode), one round trip for the batch where the main loop's path
 * waits for three or four per message. */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-cluster.h"
#include "confab-assistant.h"
#include "confab-hub-private.h"
#include "confab-metrics.h"
#include "confab-pg-store.h"
#include "confab-store-batch.h"

#include <glib-unix.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* A writer batch is at most this many messages, so that the main loop, when it must wait for
 * one (hub_writer_sync()), waits for a few ms at most. */
#define WRITER_BATCH_MAX   64
/* The writer's connection may wait this long for another process's write lock: it is not the
 * main loop. */
#define WRITER_BUSY_TIMEOUT_MS 100
/* PostgreSQL: a flight that met another relay's lock for longer than the busy timeout (a
 * commit of theirs, slow under load) or lost a deadlock is rolled back whole, nothing of it
 * acknowledged: the writer sends it again, at most this many times in all, before its messages
 * wait on the main loop (park_unit ()). */
#define WRITER_FLIGHT_ATTEMPTS 4
/* A checkpoint once the WAL holds this many frames (SQLite's own default). */
#define CHECKPOINT_FRAMES      1000

typedef enum {
  UNIT_STORED,
  UNIT_DUPLICATE,   /* a blind retry: acknowledged again, nobody else told */
  UNIT_CONFLICT,    /* the client_id was used for another message */
  UNIT_NOT_FOUND,
  UNIT_FAILED,
  UNIT_MAIN_LOOP,   /* not for the writer after all: runs on the main loop */
} UnitOutcome;

typedef struct {
  /* main loop only */
  Client             *client;       /* NULL once it has gone */
  /* read by the writer */
  char               *site_id;
  char               *visitor_id;
  char               *visitor_name;
  char               *client_id;
  char               *body;
  /* written by the writer */
  UnitOutcome         outcome;
  ConfabMessage      *message;
  ConfabConversation *conversation;
  gboolean            bot_may_answer; /* the FAQ bot's cheap check, made in the writer's
                                       * transaction */
  GError             *error;
} WriterUnit;

typedef struct {
  GPtrArray *units;                 /* WriterUnit* */
  gboolean   committed;
  GError    *error;                 /* why the batch was not stored */
  gint64     commit_us;             /* how long its COMMIT took */
} WriterBatch;

struct _HubWriter {
  ConfabHub   *hub;
  ConfabStore *store;               /* the writer thread's own connection */
  GThread     *thread;
  GMutex       lock;
  GCond        cond;
  WriterBatch *todo;                /* handed over, not taken yet */
  WriterBatch *done;                /* stored (or failed), not collected yet */
  gboolean     quit;
  gboolean     one_flight;          /* PostgreSQL: store_batch_in_one_flight () */
  gboolean     busy;                /* a batch handed over and not collected: */
  WriterBatch *inflight;            /* that one (its units' client: the main loop's only) */
  int          wake_fd;             /* eventfd: a batch is done */
  guint        wake_source;
  GPtrArray   *pending;             /* WriterUnit*: waiting for the next batch */
  guint        pending_idle;
  GPtrArray   *answering;           /* WriterBatch*: the batches collect() is answering */

  /* WAL checkpoints (copying the log into the database, with their fsyncs) run on the writer
   * thread between batches, after the last one's acks are released. SQLite's autocheckpoint
   * ran them inside the COMMIT that crossed CHECKPOINT_FRAMES, so that batch's acks — or the
   * main loop, for its own commits — waited for them: milliseconds every few hundred
   * messages, the latency's tail. The writer runs them alone on its connection, so that they
   * complete and the log starts over (a checkpointer of its own beside a busy writer never
   * caught up: the log only grew). */
  gboolean     checkpoint_due;      /* under @lock */
};

static void
writer_unit_free (WriterUnit *unit)
{
  g_free (unit->site_id);
  g_free (unit->visitor_id);
  g_free (unit->visitor_name);
  g_free (unit->client_id);
  g_free (unit->body);
  g_clear_pointer (&unit->message, confab_message_free);
  g_clear_pointer (&unit->conversation, confab_conversation_free);
  g_clear_error (&unit->error);
  g_free (unit);
}

static void
writer_batch_free (WriterBatch *batch)
{
  g_ptr_array_unref (batch->units);
  g_clear_error (&batch->error);
  g_free (batch);
}

/* --- the writer thread --- */

static void
hand_back (WriterUnit *unit,
           GHashTable *handed_back)
{
  unit->outcome = UNIT_MAIN_LOOP;
  g_hash_table_add (handed_back, unit->visitor_id);
}

/* One message inside the writer's transaction, in a savepoint of its own. */
static void
store_unit (ConfabStore *store,
            WriterUnit  *unit,
            GHashTable  *handed_back)
{
  g_autoptr (ConfabConversation) current = NULL;
  g_autoptr (GError) error = NULL;
  ConfabMessageDraft draft = { 0 };
  ConfabAppendResult result;
  gboolean changed = FALSE;

  /* the visitor's earlier message went back to the main loop: so do the ones after it */
  if (g_hash_table_contains (handed_back, unit->visitor_id))
    {
      unit->outcome = UNIT_MAIN_LOOP;
      return;
    }

  if (!confab_store_begin (store, &unit->error))
    {
      unit->outcome = UNIT_FAILED;
      return;
    }

  current = confab_store_get_current_conversation (store, unit->visitor_id, &error);
  if (current == NULL || current->status == CONFAB_STATUS_RESOLVED)
    {
      /* a new or reopened conversation: announced and recorded by the main loop's path */
      confab_store_rollback (store);
      if (error != NULL)
        {
          unit->outcome = UNIT_FAILED;
          unit->error = g_steal_pointer (&error);
        }
      else
        hand_back (unit, handed_back);
      return;
    }

  draft.site_id = unit->site_id;
  draft.visitor_id = unit->visitor_id;
  draft.conversation_id = current->id;
  draft.conversation = current;  /* read above in this savepoint: not read again */
  draft.client_id = unit->client_id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = unit->visitor_id;
  draft.sender_name = unit->visitor_name;
  draft.body = unit->body;

  if (!confab_store_append_message (store, &draft, &unit->message, &unit->conversation, &changed,
                                    &result, &error))
    {
      confab_store_rollback (store);
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT))
        unit->outcome = UNIT_CONFLICT;
      else if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        unit->outcome = UNIT_NOT_FOUND;
      else
        unit->outcome = UNIT_FAILED;
      unit->error = g_steal_pointer (&error);
      return;
    }

  if (result == CONFAB_APPEND_DUPLICATE || changed)
    {
      confab_store_rollback (store);
      if (result == CONFAB_APPEND_DUPLICATE)
        unit->outcome = UNIT_DUPLICATE;
      else
        {
          g_clear_pointer (&unit->message, confab_message_free);
          g_clear_pointer (&unit->conversation, confab_conversation_free);
          hand_back (unit, handed_back);
        }
      return;
    }

  /* The bot's first question asked here, where the pages are at hand: on the main loop's
   * connection it meant reading them again after every batch of the writer's (SQLite drops a
   * connection's page cache when another connection wrote). */
  if (unit->conversation->assignee_id == NULL && unit->conversation->first_agent_reply_at == 0 &&
      !confab_store_bot_may_answer (store, unit->conversation->id, &unit->bot_may_answer, NULL))
    unit->bot_may_answer = TRUE;  /* the main loop asks again, and says what failed */

  if (!confab_store_commit (store, &unit->error))
    {
      confab_store_rollback (store);
      unit->outcome = UNIT_FAILED;
      return;
    }
  unit->outcome = UNIT_STORED;
}

static void
store_batch (ConfabStore *store,
             WriterBatch *batch)
{
  g_autoptr (GHashTable) handed_back = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 started;

  if (!confab_store_begin (store, &batch->error))
    return;

  for (guint i = 0; i < batch->units->len; i++)
    store_unit (store, g_ptr_array_index (batch->units, i), handed_back);

  started = g_get_monotonic_time ();
  batch->committed = confab_store_commit (store, &batch->error);
  batch->commit_us = g_get_monotonic_time () - started;
  if (!batch->committed)
    confab_store_rollback (store);
}

/* PostgreSQL: the batch in one flight. What is not the common case (confab-store-batch.h) goes
 * back to the main loop as store_unit () hands it back; a visitor's later messages of the
 * batch are not stored either then (the same reasons hold for them), except after a resend,
 * whose answer is an ack again, in any order. */
static void
store_batch_in_one_flight (ConfabStore *store,
                           WriterBatch *batch)
{
  guint n = batch->units->len;
  g_autofree ConfabBatchItem *items = g_new0 (ConfabBatchItem, MAX (n, 1));
  gint64 started = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    {
      WriterUnit *unit = g_ptr_array_index (batch->units, i);

      items[i].site_id = unit->site_id;
      items[i].visitor_id = unit->visitor_id;
      items[i].sender_name = unit->visitor_name;
      items[i].client_id = unit->client_id;
      items[i].body = unit->body;
    }
  for (guint attempt = 1; ; attempt++)
    {
      batch->committed = confab_store_append_batch (store, items, n, &batch->error);
      if (batch->committed || attempt == WRITER_FLIGHT_ATTEMPTS ||
          !g_error_matches (batch->error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
        break;
      g_debug ("Writer's flight of %u messages, attempt %u: %s", n, attempt,
               batch->error->message);
      g_clear_error (&batch->error);
      confab_batch_items_clear (items, n);
    }
  batch->commit_us = g_get_monotonic_time () - started;

  for (guint i = 0; batch->committed && i < n; i++)
    {
      WriterUnit *unit = g_ptr_array_index (batch->units, i);

      if (items[i].outcome != CONFAB_BATCH_STORED)
        {
          unit->outcome = UNIT_MAIN_LOOP;
          continue;
        }
      unit->outcome = UNIT_STORED;
      unit->message = g_steal_pointer (&items[i].message);
      unit->conversation = g_steal_pointer (&items[i].conversation);
      /* the main loop's confab_faq_after_visitor_message () asks the store itself */
      unit->bot_may_answer = unit->conversation->assignee_id == NULL &&
                             unit->conversation->first_agent_reply_at == 0;
    }
  confab_batch_items_clear (items, n);
}

static gpointer
writer_main (gpointer user_data)
{
  HubWriter *writer = user_data;

  g_mutex_lock (&writer->lock);
  for (;;)
    {
      WriterBatch *batch;
      guint64 one = 1;

      while (writer->todo == NULL && !writer->quit && !writer->checkpoint_due)
        g_cond_wait (&writer->cond, &writer->lock);
      if (writer->todo == NULL && writer->checkpoint_due)
        {
          g_autoptr (GError) error = NULL;

          /* between batches: the last one is answered already */
          writer->checkpoint_due = FALSE;
          g_mutex_unlock (&writer->lock);
          if (!confab_store_checkpoint (writer->store, &error))
            g_warning ("%s", error->message);
          g_mutex_lock (&writer->lock);
          continue;
        }
      if (writer->todo == NULL)
        break;

      batch = g_steal_pointer (&writer->todo);
      g_mutex_unlock (&writer->lock);

      if (writer->one_flight)
        store_batch_in_one_flight (writer->store, batch);
      else
        store_batch (writer->store, batch);

      g_mutex_lock (&writer->lock);
      writer->done = batch;
      g_cond_broadcast (&writer->cond);
      if (write (writer->wake_fd, &one, sizeof one) != sizeof one)
        g_warning ("Cannot wake the main loop: %s", g_strerror (errno));
    }
  g_mutex_unlock (&writer->lock);
  return NULL;
}

/* After every commit of the writer's and of the main loop's connection, on their thread
 * (never with @lock held). */
static void
on_wal_frames (gpointer user_data,
               int      wal_frames)
{
  HubWriter *writer = user_data;

  if (wal_frames < CHECKPOINT_FRAMES)
    return;
  g_mutex_lock (&writer->lock);
  writer->checkpoint_due = TRUE;
  g_cond_broadcast (&writer->cond);
  g_mutex_unlock (&writer->lock);
}

/* --- the main loop's side --- */

static void
submit (HubWriter *writer)
{
  ConfabHub *hub = writer->hub;
  WriterBatch *batch;

  g_clear_handle_id (&writer->pending_idle, g_source_remove);
  if (writer->busy || writer->pending->len == 0)
    return;

  /* The main loop's batch holds the write lock until it commits; it is older, too. */
  if (hub->batch_open)
    hub_commit_batch (hub);

  batch = g_new0 (WriterBatch, 1);
  if (writer->pending->len <= WRITER_BATCH_MAX)
    {
      batch->units = g_steal_pointer (&writer->pending);
      writer->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) writer_unit_free);
    }
  else
    {
      batch->units = g_ptr_array_new_with_free_func ((GDestroyNotify) writer_unit_free);
      for (guint i = 0; i < WRITER_BATCH_MAX; i++)
        g_ptr_array_add (batch->units, g_ptr_array_index (writer->pending, i));
      /* moved, not freed */
      g_ptr_array_set_free_func (writer->pending, NULL);
      g_ptr_array_remove_range (writer->pending, 0, WRITER_BATCH_MAX);
      g_ptr_array_set_free_func (writer->pending, (GDestroyNotify) writer_unit_free);
    }

  g_mutex_lock (&writer->lock);
  writer->busy = TRUE;
  writer->inflight = batch;
  writer->todo = batch;
  g_cond_signal (&writer->cond);
  g_mutex_unlock (&writer->lock);
}

/* The frames of a message the writer stored: as deliver_message() sends them. */
static void
announce_stored (ConfabHub  *hub,
                 WriterUnit *unit)
{
  ConfabConversation *conversation = unit->conversation;
  g_autofree char *agent_text = hub_message_frame_text (unit->message, conversation->site_id,
                                                        CONFAB_AUDIENCE_AGENT);
  g_autofree char *visitor_text = hub_message_frame_text (unit->message, conversation->site_id,
                                                          CONFAB_AUDIENCE_VISITOR);
  GPtrArray *tabs;

  if (unit->client != NULL)
    send_ack (unit->client, unit->message);
  /* other relays heard of it in announce_to_cluster () */
  fanout_agents (hub, conversation->site_id, agent_text);
  fanout_visitor_text (hub, conversation->visitor_id, visitor_text);
  confab_metrics_inc (CONFAB_METRIC_MESSAGES_IN_VISITOR);

  tabs = index_get (hub->visitor_tabs, conversation->visitor_id);
  for (guint i = 0; tabs && i < tabs->len; i++)
    {
      Client *tab = g_ptr_array_index (tabs, i);

      /* usually the same already; a frame being handled (a resume that settled the writer)
       * may hold the old string */
      if (g_strcmp0 (tab->conversation_id, conversation->id) == 0)
        continue;
      g_free (tab->conversation_id);
      tab->conversation_id = g_strdup (conversation->id);
    }
}

/* With [cluster] redis: as hub_commit_batch () does for the main loop's batches, other relays
 * are told what the writer committed (its cursors, per site), and what they logged before it
 * reaches this relay's clients first. Never later than the batch's own frames: a catch-up from
 * another relay's news drains the writer first (on_catch_up () settles the hub), so it never
 * reads these messages as the others'. */
static void
announce_to_cluster (ConfabHub   *hub,
                     WriterBatch *batch)
{
  g_autoptr (GPtrArray) sending = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < batch->units->len; i++)
    {
      WriterUnit *unit = g_ptr_array_index (batch->units, i);
      Outgoing *outgoing;

      if (unit->outcome != UNIT_STORED)
        continue;
      /* only these two are read; the strings stay the unit's */
      outgoing = g_new0 (Outgoing, 1);
      outgoing->site_id = unit->conversation->site_id;
      outgoing->cursor = unit->message->cursor;
      g_ptr_array_add (sending, outgoing);
    }
  if (sending->len > 0)
    hub_cluster_batch_committed (hub, sending);
}

static void
answer_unit (ConfabHub   *hub,
             WriterUnit  *unit,
             WriterBatch *batch)
{
  Client *client = unit->client;

  if (!batch->committed)
    {
      if (client != NULL)
        client_store_failed (client, batch->error, unit->client_id);
      return;
    }

  switch (unit->outcome)
    {
    case UNIT_STORED:
      announce_stored (hub, unit);
      break;
    case UNIT_DUPLICATE:
      if (client != NULL)
        send_ack (client, unit->message);
      break;
    case UNIT_CONFLICT:
      if (client != NULL)
        client_bad_frame (client, "client_id_conflict",
                          "This client_id was used before for another message", unit->client_id);
      break;
    case UNIT_NOT_FOUND:
      if (client != NULL)
        client_bad_frame (client, "not_found", "No such conversation", unit->client_id);
      break;
    case UNIT_FAILED:
      if (client != NULL)
        client_store_failed (client, unit->error, unit->client_id);
      break;
    case UNIT_MAIN_LOOP:
    default:
      break;
    }
}

/* After every frame of the batch is out: the main loop's part (the bot's answers, the
 * messages handed back), which may write and so must find the writer idle. */
static void
deliver_on_main_loop (WriterUnit *unit)
{
  ConfabMessageDraft draft = { 0 };

  if (unit->client == NULL || unit->client->closing)
    return;
  draft.site_id = unit->site_id;
  draft.visitor_id = unit->visitor_id;
  draft.client_id = unit->client_id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = unit->visitor_id;
  draft.sender_name = unit->visitor_name;
  draft.body = unit->body;
  deliver_message (unit->client, &draft);
}

static void
after_batch (ConfabHub   *hub,
             WriterBatch *batch)
{
  HubWriter *writer = hub->writer;
  g_autoptr (GHashTable) handed_back = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) following = g_ptr_array_new_with_free_func ((GDestroyNotify) writer_unit_free);

  for (guint i = 0; batch->committed && i < batch->units->len; i++)
    {
      WriterUnit *unit = g_ptr_array_index (batch->units, i);

      if (unit->outcome == UNIT_MAIN_LOOP)
        g_hash_table_add (handed_back, unit->visitor_id);
    }
  /* A handed-back visitor's messages that came after the batch follow it on the main loop too:
   * deliver_message () drains the writer before it writes, which would store them first (a
   * follow-up sent right behind the one that reopens a resolved conversation got the seq
   * before it). */
  for (guint i = 0; writer != NULL && g_hash_table_size (handed_back) > 0 &&
                    i < writer->pending->len; )
    {
      WriterUnit *unit = g_ptr_array_index (writer->pending, i);

      if (g_hash_table_contains (handed_back, unit->visitor_id))
        g_ptr_array_add (following, g_ptr_array_steal_index (writer->pending, i));
      else
        i++;
    }

  for (guint i = 0; batch->committed && i < batch->units->len; i++)
    {
      WriterUnit *unit = g_ptr_array_index (batch->units, i);

      /* the FAQ bot's check says "no FAQs" for a site whose assistant answers from its
       * articles: with an assistant the main loop asks (confab-assistant.c checks the rest) */
      if (unit->outcome == UNIT_STORED &&
          (unit->bot_may_answer || confab_assistant_available (hub->relay->assistant)))
        confab_faq_after_visitor_message (hub->relay, unit->conversation, unit->message);
      else if (unit->outcome == UNIT_MAIN_LOOP)
        deliver_on_main_loop (unit);
    }
  if (following->len > 0)
    {
      /* answered like a batch: a client that goes away meanwhile is forgotten in it */
      WriterBatch *rest = g_new0 (WriterBatch, 1);

      rest->units = g_steal_pointer (&following);
      g_ptr_array_add (writer->answering, rest);
      for (guint i = 0; i < rest->units->len; i++)
        deliver_on_main_loop (g_ptr_array_index (rest->units, i));
      g_ptr_array_remove (writer->answering, rest);
      writer_batch_free (rest);
    }
}

static void
park_unit (WriterUnit *unit)
{
  g_autoptr (JsonObject) frame = NULL;
  g_autoptr (GBytes) message = NULL;
  guint parked;
  char *text;

  if (unit->client == NULL)
    return;
  frame = confab_frame_new ("message");
  json_object_set_string_member (frame, "client_id", unit->client_id);
  json_object_set_string_member (frame, "body", unit->body);
  text = confab_frame_to_string (frame);
  message = g_bytes_new_take (text, strlen (text));
  parked = unit->client->parked;
  hub_park_frame (unit->client, message, frame);
  /* its rate-limit tokens were taken when it came (visitor_message ()): run again, it does
   * not pay again */
  if (unit->client->parked > parked)
    unit->client->prepaid++;
}

/* Takes the finished batch (waiting for it when @wait) and sends what it says. */
static void
collect (HubWriter *writer,
         gboolean   wait)
{
  ConfabHub *hub = writer->hub;
  WriterBatch *batch;
  guint64 count;

  if (!writer->busy)
    return;

  g_mutex_lock (&writer->lock);
  while (wait && writer->done == NULL)
    g_cond_wait (&writer->cond, &writer->lock);
  batch = g_steal_pointer (&writer->done);
  g_mutex_unlock (&writer->lock);
  if (batch == NULL)
    return;

  /* the eventfd's count, now that the batch is taken (a wait may have come first) */
  if (read (writer->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
    g_warning ("Cannot read the writer's eventfd: %s", g_strerror (errno));
  writer->busy = FALSE;
  writer->inflight = NULL;

  if (batch->commit_us > 0)
    confab_metrics_observe_commit (batch->commit_us, batch->committed);

  /* Another process holds the write lock (longer than the writer waited): the messages, and
   * those queued behind them, wait like every frame that meets the lock, in order, retried
   * from the loop (confab-hub-delivery.c), instead of being refused. */
  if (!batch->committed &&
      g_error_matches (batch->error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
    {
      for (guint i = 0; i < batch->units->len; i++)
        park_unit (g_ptr_array_index (batch->units, i));
      for (guint i = 0; i < writer->pending->len; i++)
        park_unit (g_ptr_array_index (writer->pending, i));
      g_ptr_array_set_size (writer->pending, 0);
      writer_batch_free (batch);
      return;
    }

  if (!batch->committed)
    g_warning ("Could not store %u messages: %s", batch->units->len, batch->error->message);

  /* a client that goes away meanwhile is forgotten in it too (hub_writer_forget_client()) */
  g_ptr_array_add (writer->answering, batch);
  /* one write per client for the whole batch */
  confab_websocket_cork ();
  if (batch->committed)
    announce_to_cluster (hub, batch);
  for (guint i = 0; i < batch->units->len; i++)
    answer_unit (hub, g_ptr_array_index (batch->units, i), batch);
  confab_websocket_uncork ();
  after_batch (hub, batch);
  g_ptr_array_remove (writer->answering, batch);
  writer_batch_free (batch);
}

static gboolean
on_wake (gint         fd,
         GIOCondition condition,
         gpointer     user_data)
{
  HubWriter *writer = user_data;

  collect (writer, FALSE);
  /* what came meanwhile goes next, while this loop sends */
  submit (writer);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_pending_due (gpointer user_data)
{
  HubWriter *writer = user_data;

  writer->pending_idle = 0;
  submit (writer);
  return G_SOURCE_REMOVE;
}

HubWriter *
hub_writer_new (ConfabHub  *hub,
                GError    **error)
{
  const ConfabConfig *config = hub->relay->config;
  g_autofree char *db_path = g_build_filename (config->data_dir, "confab.db", NULL);
  HubWriter *writer;
  ConfabStore *store;

  if (config->store_backend == CONFAB_STORE_BACKEND_POSTGRESQL)
    store = confab_pg_store_open (config->store_url, error);
  else
    store = confab_store_open (db_path, config->sync, error);
  if (store == NULL)
    return NULL;
  confab_store_set_busy_timeout (store, WRITER_BUSY_TIMEOUT_MS);

  writer = g_new0 (HubWriter, 1);
  writer->hub = hub;
  writer->store = store;
  writer->one_flight = config->store_backend == CONFAB_STORE_BACKEND_POSTGRESQL;
  writer->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) writer_unit_free);
  writer->answering = g_ptr_array_new ();
  g_mutex_init (&writer->lock);
  g_cond_init (&writer->cond);
  writer->wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (writer->wake_fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot make an eventfd for the writer thread: %s", g_strerror (errno));
      confab_store_close (store);
      g_free (writer);
      return NULL;
    }
  writer->wake_source = g_unix_fd_add (writer->wake_fd, G_IO_IN, on_wake, writer);

  confab_store_watch_wal (store, on_wal_frames, writer);
  confab_store_watch_wal (hub->relay->store, on_wal_frames, writer);

  writer->thread = g_thread_new ("confab-writer", writer_main, writer);
  return writer;
}

void
hub_writer_free (HubWriter *writer)
{
  if (writer == NULL)
    return;

  /* what is handed over or waiting is stored and answered before the end */
  hub_writer_sync (writer);

  g_mutex_lock (&writer->lock);
  writer->quit = TRUE;
  g_cond_signal (&writer->cond);
  g_mutex_unlock (&writer->lock);
  g_thread_join (writer->thread);

  confab_store_watch_wal (writer->hub->relay->store, NULL, NULL);

  g_clear_handle_id (&writer->pending_idle, g_source_remove);
  g_clear_handle_id (&writer->wake_source, g_source_remove);
  close (writer->wake_fd);
  g_ptr_array_unref (writer->pending);
  g_ptr_array_unref (writer->answering);
  confab_store_close (writer->store);
  g_mutex_clear (&writer->lock);
  g_cond_clear (&writer->cond);
  g_free (writer);
}

/* Whether a visitor's message goes to the writer: the conditions of the common case, which
 * the writer checks again against the database. */
gboolean
hub_writer_takes (Client     *client,
                  JsonObject *frame)
{
  return client->hub->writer != NULL && client->kind == CLIENT_VISITOR &&
         client->visitor_id != NULL && client->conversation_id != NULL &&
         !json_object_has_member (frame, "attachment_id");
}

void
hub_writer_queue (Client                   *client,
                  const ConfabMessageDraft *draft)
{
  HubWriter *writer = client->hub->writer;
  WriterUnit *unit = g_new0 (WriterUnit, 1);

  unit->client = client;
  unit->site_id = g_strdup (draft->site_id);
  unit->visitor_id = g_strdup (draft->visitor_id);
  unit->visitor_name = g_strdup (draft->sender_name);
  unit->client_id = g_strdup (draft->client_id);
  unit->body = g_strdup (draft->body);
  g_ptr_array_add (writer->pending, unit);

  /* Handed over when the loop has nothing else to do, as the main loop's batch commits; a
   * busy writer takes them when it is done (on_wake()). */
  if (!writer->busy && writer->pending_idle == 0)
    writer->pending_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, on_pending_due, writer, NULL);
}

/* Before the main loop writes or reads the log: everything handed to the writer or waiting for
 * it is stored and answered. Blocks while the writer stores them (batches of WRITER_BATCH_MAX:
 * a few ms each). */
void
hub_writer_sync (HubWriter *writer)
{
  if (writer == NULL)
    return;

  while (writer->busy || writer->pending->len > 0)
    {
      if (writer->busy)
        collect (writer, TRUE);
      else
        {
          submit (writer);
          collect (writer, TRUE);
        }
    }
}

static void
forget_in_batch (WriterBatch *batch,
                 Client      *client)
{
  for (guint i = 0; batch != NULL && i < batch->units->len; i++)
    {
      WriterUnit *unit = g_ptr_array_index (batch->units, i);

      if (unit->client == client)
        unit->client = NULL;
    }
}

void
hub_writer_forget_client (HubWriter *writer,
                          Client    *client)
{
  if (writer == NULL)
    return;

  for (guint i = 0; i < writer->pending->len; i++)
    {
      WriterUnit *unit = g_ptr_array_index (writer->pending, i);

      if (unit->client == client)
        unit->client = NULL;
    }

  /* the batch in the writer's hands (only the main loop reads or writes unit->client), and
   * those being answered */
  forget_in_batch (writer->inflight, client);
  for (guint i = 0; i < writer->answering->len; i++)
    forget_in_batch (g_ptr_array_index (writer->answering, i), client);
}
