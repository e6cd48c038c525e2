/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-delivery.c: the hub's group commit, persisted events, messages, and the frames that go out once they are durable */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-mail-out.h"
#include "confab-hub-private.h"
#include "confab-hub-cluster.h"
#include "confab-metrics.h"
#include "confab-meta.h"
#include "confab-targets.h"

/* --- transactions and what they send --- */

/* Every change that clients hear about is made between hub_begin() and hub_commit(): frames
 * queued meanwhile go out after the commit, in the order they were queued (which is cursor
 * order), and are dropped if it fails. Nobody ever hears of what was not stored. */

static gboolean
on_batch_due (gpointer user_data)
{
  hub_commit_batch (user_data);
  return G_SOURCE_REMOVE;
}

/* Opens the batch when none is (store writes made now join it). */
gboolean
hub_join_batch (ConfabHub  *hub,
                GError    **error)
{
  if (hub->tx_depth > 0)
    return TRUE;

  /* the writer's messages first: a client's frames are stored in the order they came, and
   * the writer's transaction would hold the lock this one needs */
  hub_writer_sync (hub->writer);

  if (hub->batch_open &&
      (g_get_monotonic_time () - hub->batch_started > BATCH_MAX_MS * 1000 ||
       hub->batch_units >= BATCH_MAX_UNITS))
    hub_commit_batch (hub);

  if (!hub->batch_open)
    {
      if (!confab_store_begin (hub->relay->store, error))
        return FALSE;
      hub->batch_open = TRUE;
      hub->batch_serial++;
      hub->batch_started = g_get_monotonic_time ();
      hub->batch_units = 0;
      hub->batch_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, on_batch_due, hub, NULL);
      hub->batch_deadline = g_timeout_add (BATCH_MAX_MS, on_batch_due, hub);
    }

  return TRUE;
}

gboolean
hub_begin (ConfabHub  *hub,
           GError    **error)
{
  if (hub->tx_depth == 0)
    {
      if (!hub_join_batch (hub, error))
        return FALSE;
      hub->unit_mark = hub->outgoing->len;
    }

  if (!confab_store_begin (hub->relay->store, error))
    return FALSE;
  hub->tx_depth++;
  return TRUE;
}

/* Undoes the unit (a SAVEPOINT inside the batch) and forgets the frames it queued. */
void
hub_rollback (ConfabHub *hub)
{
  confab_store_rollback (hub->relay->store);
  if (--hub->tx_depth == 0)
    g_ptr_array_set_size (hub->outgoing, hub->unit_mark);
}

/* Ends a unit: it becomes part of the batch, durable (and its frames sent) when the batch
 * commits. On failure the unit is rolled back. */
gboolean
hub_commit (ConfabHub  *hub,
            GError    **error)
{
  if (!confab_store_commit (hub->relay->store, error))
    {
      hub_rollback (hub);
      return FALSE;
    }
  if (--hub->tx_depth == 0)
    hub->batch_units++;
  return TRUE;
}

static void
send_outgoing (ConfabHub *hub,
               GPtrArray *sending)
{
  for (guint i = 0; i < sending->len; i++)
    {
      Outgoing *outgoing = g_ptr_array_index (sending, i);

      if (outgoing->client_text != NULL && outgoing->client != NULL)
        client_send_text (outgoing->client, outgoing->client_text);
      if (outgoing->agent_text != NULL)
        fanout_agents (hub, outgoing->site_id, outgoing->agent_text);
      if (outgoing->visitor_text != NULL)
        fanout_visitor_text (hub, outgoing->visitor_id, outgoing->visitor_text);
    }
}

void
batch_frame_free (BatchFrame *batch_frame)
{
  g_free (batch_frame->ref);
  g_free (batch_frame);
}

/* The hello's visitor was never stored: the connection is back to before it, so that the
 * client's next hello works. */
static void
undo_hello (ConfabHub *hub,
            Client    *client)
{
  if (client->visitor_id == NULL)
    return;

  index_remove (hub->visitor_tabs, client->visitor_id, client);
  index_remove (hub->site_visitors, client->site_id, client);
  g_clear_pointer (&client->visitor_id, g_free);
  g_clear_pointer (&client->visitor_name, g_free);
  g_clear_pointer (&client->conversation_id, g_free);
}

static gboolean
frames_reported (GPtrArray  *frames,
                 Client     *client,
                 const char *ref)
{
  for (guint i = 0; i < frames->len; i++)
    {
      BatchFrame *batch_frame = g_ptr_array_index (frames, i);

      if (batch_frame->client == client && g_strcmp0 (batch_frame->ref, ref) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Everything a failed batch did is undone: its rows (rolled back), what the connections of its
 * frames remember (a hello's visitor, the tabs' current conversation) and its frames (never
 * sent); every frame that changed something in it is answered with an error, to be retried. */
static void
fail_batch (ConfabHub    *hub,
            GPtrArray    *sending,
            GPtrArray    *frames,
            const GError *error)
{
  g_autoptr (GHashTable) visitors = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer visitor_id;
  Client *holding;

  g_warning ("Could not store %u changes: %s", hub->batch_units, error->message);
  confab_store_rollback (hub->relay->store);

  /* The frame running now may have opened a new batch by committing this one: what failed
   * here are earlier frames, answered, never held in its place (client_store_failed ()). */
  holding = hub->holding;
  hub->holding = NULL;

  for (guint i = 0; i < frames->len; i++)
    {
      BatchFrame *batch_frame = g_ptr_array_index (frames, i);

      if (batch_frame->client == NULL)
        continue;
      if (batch_frame->hello)
        undo_hello (hub, batch_frame->client);
      client_store_failed (batch_frame->client, error, batch_frame->ref);
    }

  for (guint i = 0; i < sending->len; i++)
    {
      Outgoing *outgoing = g_ptr_array_index (sending, i);

      if (outgoing->client != NULL && outgoing->failure_ref != NULL &&
          !frames_reported (frames, outgoing->client, outgoing->failure_ref))
        client_store_failed (outgoing->client, error, outgoing->failure_ref);
      if (outgoing->visitor_id != NULL)
        g_hash_table_add (visitors, outgoing->visitor_id);
    }

  /* A first message gave its visitor's tabs a conversation that is not stored after all. */
  g_hash_table_iter_init (&iter, visitors);
  while (g_hash_table_iter_next (&iter, &visitor_id, NULL))
    {
      GPtrArray *tabs = index_get (hub->visitor_tabs, visitor_id);
      g_autoptr (ConfabConversation) current = NULL;

      if (tabs == NULL)
        continue;
      current = confab_store_get_current_conversation (hub->relay->store, visitor_id, NULL);
      for (guint i = 0; i < tabs->len; i++)
        {
          Client *tab = g_ptr_array_index (tabs, i);

          g_free (tab->conversation_id);
          tab->conversation_id = current != NULL ? g_strdup (current->id) : NULL;
        }
    }
  hub->holding = holding;
}

/* A reader that answers from the log (a visitor's resume, an agent's backlog) must see what
 * is committed and nothing else: what the open batch holds is not durable yet, and reaches
 * live readers when it commits; read now, it would arrive before its ack, or twice. So the
 * batch commits first. Not inside a frame's own transaction. */
void
hub_settle_batch (ConfabHub *hub)
{
  if (hub->tx_depth == 0)
    hub_writer_sync (hub->writer);
  if (hub->batch_open && hub->tx_depth == 0)
    hub_commit_batch (hub);
}

/* Makes the batch durable, then tells everyone what is in it. */
void
hub_commit_batch (ConfabHub *hub)
{
  g_autoptr (GPtrArray) sending = NULL;
  g_autoptr (GPtrArray) frames = NULL;
  g_autoptr (GError) error = NULL;
  gint64 commit_started;
  gboolean committed;

  g_clear_handle_id (&hub->batch_idle, g_source_remove);
  g_clear_handle_id (&hub->batch_deadline, g_source_remove);
  if (!hub->batch_open || hub->tx_depth > 0)
    return;

  hub->batch_open = FALSE;
  sending = g_steal_pointer (&hub->outgoing);
  hub->outgoing = g_ptr_array_new_with_free_func ((GDestroyNotify) outgoing_free);
  frames = g_steal_pointer (&hub->batch_frames);
  hub->batch_frames = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_frame_free);

  commit_started = g_get_monotonic_time ();
  committed = confab_store_commit (hub->relay->store, &error);
  confab_metrics_observe_commit (g_get_monotonic_time () - commit_started, committed);
  if (committed)
    {
      /* one write per client for the whole batch */
      confab_websocket_cork ();
      hub_cluster_batch_committed (hub, sending);
      send_outgoing (hub, sending);
      confab_websocket_uncork ();
      return;
    }

  fail_batch (hub, sending, frames, error);
}

/* --- frames while the database is locked --- */

/* Another process (the admin CLI, a backup, sqlite3) may hold the database's write lock for a
 * while. Waiting for it inside SQLite would stop the whole loop (every connection, /healthz),
 * so the store waits only a few ms; a frame that needs to write and finds the lock taken is
 * parked here, unanswered, and retried from the loop with backoff. Its ack comes once its batch
 * is durable, as always. A connection's frames stay in order: once one of them is parked, the
 * rest wait behind it. */

#define PARKED_MAX_PER_CLIENT 64
#define PARKED_MAX_BYTES      (8 * 1024 * 1024)
#define PARKED_RETRY_MIN_MS   5
#define PARKED_RETRY_MAX_MS   250
/* Once the lock is free, held frames go through this many per turn of the loop, so that a long
 * queue does not keep everyone else waiting in its turn. */
#define PARKED_PER_TURN       BATCH_MAX_UNITS

typedef struct {
  Client *client;     /* NULL once it has gone */
  GBytes *message;    /* NULL for a departure: */
  char   *site_id;
  char   *visitor_id;
} Parked;

static void
parked_free (Parked *parked)
{
  g_clear_pointer (&parked->message, g_bytes_unref);
  g_free (parked->site_id);
  g_free (parked->visitor_id);
  g_free (parked);
}

static gsize
parked_size (Parked *parked)
{
  return parked->message != NULL ? g_bytes_get_size (parked->message)
                                 : strlen (parked->site_id) + strlen (parked->visitor_id);
}

static void
visitor_left_now (ConfabHub  *hub,
                  const char *site_id,
                  const char *visitor_id)
{
  g_autoptr (GError) error = NULL;

  /* back (a new tab) while the departure waited: nobody left */
  if (tabs_online (hub, visitor_id))
    return;

  if (!confab_store_close_page_views (hub->relay->store, visitor_id, confab_now_ms (), &error))
    g_warning ("Departure lost: %s", error->message);
  visitor_changed (hub, site_id, visitor_id);
}

/* Frames that only read or only go to live sockets never wait for the lock. */
static gboolean
frame_writes (Client     *client,
              const char *type)
{
  static const char * const visitor_read_only[] = {
    "ping", "typing", "typing_stop", "resume", NULL
  };
  static const char * const agent_read_only[] = { "ping", "typing", "subscribe", NULL };

  return !g_strv_contains (client->kind == CLIENT_VISITOR ? visitor_read_only : agent_read_only,
                           type);
}

/* Frames that may be held when a statement of theirs meets another relay's lock, and run
 * again as a whole: everything they write is one unit (hub_begin ()), rolled back whole, and
 * nothing of them reaches a socket or the connection's state before that unit is stored. A
 * message is the same message when run twice (its client_id); a hello stores its visitor only
 * once the unit is through; a read mark is a maximum; assign, set_status and transfer set what
 * the frame names; a rating replaces the earlier one. The others (page_view, leave_message,
 * note, start_conversation, faq_feedback…) are still answered store_unavailable. */
static gboolean
frame_holdable (Client     *client,
                const char *type,
                const char *ref)
{
  static const char * const visitor_holdable[] = { "hello", "read", "rate", NULL };
  static const char * const agent_holdable[] = {
    "read", "assign", "set_status", "transfer", NULL
  };

  if (strcmp (type, "message") == 0)
    return ref != NULL;
  return g_strv_contains (client->kind == CLIENT_VISITOR ? visitor_holdable : agent_holdable,
                          type);
}

/* Runs a frame that may write, inside the open batch, and remembers it if it changed anything
 * there: a failed batch answers it (fail_batch()). TRUE when it was a frame_holdable () one that
 * met a lock held by another relay's transaction (BUSY): its unit is rolled back, nothing of it
 * stored or answered, and the caller holds it to run it again later. */
static gboolean
dispatch_in_batch (Client     *client,
                   const char *type,
                   JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  ConfabStore *store = hub->relay->store;
  gint64 changes = confab_store_total_changes (store);
  guint queued = hub->outgoing->len;
  gboolean had_visitor = client->visitor_id != NULL;
  guint serial = hub->batch_serial;
  BatchFrame *batch_frame;
  const char *ref = NULL;
  gboolean held;

  confab_json_get_string (frame, "client_id", FALSE, &ref, NULL);
  if (frame_holdable (client, type, ref))
    {
      hub->holding = client;
      hub->holding_ref = strcmp (type, "message") == 0 ? ref : NULL;
    }
  hub->held = FALSE;
  hub->holding_paid = FALSE;
  client_dispatch_frame (client, type, frame);
  held = hub->held;
  /* run again, it does not pay again */
  if (held && hub->holding_paid)
    client->prepaid++;
  hub->holding = NULL;
  hub->holding_ref = NULL;
  hub->held = FALSE;
  if (held)
    return TRUE;

  /* A frame that spanned two batches (the first one grew old meanwhile) had its answer
   * committed with the first: a failure of the second must not take that back. */
  if (!hub->batch_open || hub->batch_serial != serial ||
      (confab_store_total_changes (store) == changes && hub->outgoing->len == queued))
    return FALSE;

  batch_frame = g_new0 (BatchFrame, 1);
  batch_frame->client = client;
  batch_frame->ref = g_strdup (ref);
  batch_frame->hello = client->kind == CLIENT_VISITOR && !had_visitor && client->visitor_id != NULL;
  g_ptr_array_add (hub->batch_frames, batch_frame);
  return FALSE;
}

static gboolean retry_parked (gpointer user_data);

static void
schedule_retry (ConfabHub *hub)
{
  if (hub->parked_retry != 0)
    return;

  hub->parked_backoff_ms = hub->parked_backoff_ms == 0
                           ? PARKED_RETRY_MIN_MS
                           : MIN (hub->parked_backoff_ms * 2, PARKED_RETRY_MAX_MS);
  hub->parked_retry = g_timeout_add (hub->parked_backoff_ms, retry_parked, hub);
}

void
hub_park_frame (Client     *client,
                GBytes     *message,
                JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  gsize size = g_bytes_get_size (message);
  Parked *parked;

  if (client->parked >= PARKED_MAX_PER_CLIENT || hub->parked_bytes + size > PARKED_MAX_BYTES)
    {
      g_autoptr (GError) error = g_error_new (CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY,
                                              "%u frames wait for the database already",
                                              g_queue_get_length (&hub->parked));
      const char *ref = NULL;

      confab_json_get_string (frame, "client_id", FALSE, &ref, NULL);
      client_store_failed (client, error, ref);
      return;
    }

  if (g_queue_is_empty (&hub->parked))
    g_message ("The database is locked by another process: holding frames that need it");

  parked = g_new0 (Parked, 1);
  parked->client = client;
  parked->message = g_bytes_ref (message);
  g_queue_push_tail (&hub->parked, parked);
  hub->parked_bytes += size;
  client->parked++;
  schedule_retry (hub);
}

static gboolean
retry_parked (gpointer user_data)
{
  ConfabHub *hub = user_data;
  Parked *parked;
  guint done = 0;

  hub->parked_retry = 0;

  while ((parked = g_queue_peek_head (&hub->parked)) != NULL)
    {
      g_autoptr (JsonObject) frame = NULL;
      g_autoptr (GError) error = NULL;
      Client *client = parked->client;
      gboolean departure = parked->message == NULL;
      const char *type = NULL;

      if ((departure || (client != NULL && !client->closing)) &&
          !hub_join_batch (hub, &error) &&
          g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
        {
          schedule_retry (hub);
          return G_SOURCE_REMOVE;
        }

      if (done++ == PARKED_PER_TURN)
        {
          hub->parked_backoff_ms = 0;
          hub->parked_retry = g_idle_add (retry_parked, hub);
          return G_SOURCE_REMOVE;
        }

      /* off the queue before it runs: running it may close and free its client */
      g_queue_pop_head (&hub->parked);
      hub->parked_bytes -= parked_size (parked);
      if (client != NULL)
        client->parked--;

      if (departure)
        visitor_left_now (hub, parked->site_id, parked->visitor_id);
      else if (client != NULL && !client->closing &&
               (frame = client_parse_frame (client, parked->message, &type)) != NULL)
        {
          if (frame_writes (client, type))
            {
              if (dispatch_in_batch (client, type, frame))
                {
                  /* still locked: back at the head, the frames behind it keep waiting */
                  g_queue_push_head (&hub->parked, parked);
                  hub->parked_bytes += parked_size (parked);
                  client->parked++;
                  schedule_retry (hub);
                  return G_SOURCE_REMOVE;
                }
            }
          else
            client_dispatch_frame (client, type, frame);
        }
      parked_free (parked);
    }

  g_message ("The database is free again: held frames are through");
  hub->parked_backoff_ms = 0;
  return G_SOURCE_REMOVE;
}

void
hub_receive_frame (Client     *client,
                   GBytes     *message,
                   const char *type,
                   JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  g_autoptr (GError) error = NULL;
  gboolean writes = frame_writes (client, type);

  if (client->parked > 0 || (writes && !g_queue_is_empty (&hub->parked)))
    {
      hub_park_frame (client, message, frame);
      return;
    }

  /* a visitor's message for the writer thread: no batch of the main loop's */
  if (!writes || (strcmp (type, "message") == 0 && hub_writer_takes (client, frame)))
    {
      client_dispatch_frame (client, type, frame);
      return;
    }

  /* Opening the batch takes the write lock. Any failure but a busy lock the handler meets too,
   * and answers the frame with it. */
  if (!hub_join_batch (hub, &error) &&
      g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
    {
      hub_park_frame (client, message, frame);
      return;
    }

  if (dispatch_in_batch (client, type, frame))
    {
      guint parked = client->parked;

      hub_park_frame (client, message, frame);
      /* refused (too many waiting): it will come again, and pay then */
      if (client->parked == parked && client->prepaid > 0)
        client->prepaid--;
    }
}

void
hub_visitor_left (ConfabHub  *hub,
                  const char *site_id,
                  const char *visitor_id)
{
  g_autoptr (GError) error = NULL;
  Parked *parked;

  /* after the frames already waiting, and without a bound: one per visitor who leaves */
  if (g_queue_is_empty (&hub->parked) &&
      (hub_join_batch (hub, &error) ||
       !g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY)))
    {
      visitor_left_now (hub, site_id, visitor_id);
      return;
    }

  parked = g_new0 (Parked, 1);
  parked->site_id = g_strdup (site_id);
  parked->visitor_id = g_strdup (visitor_id);
  g_queue_push_tail (&hub->parked, parked);
  hub->parked_bytes += parked_size (parked);
  schedule_retry (hub);
}

void
hub_forget_client (ConfabHub *hub,
                   Client    *client)
{
  hub_writer_forget_client (hub->writer, client);
  for (GList *l = hub->parked.head; l != NULL; l = l->next)
    {
      Parked *parked = l->data;

      if (parked->client == client)
        parked->client = NULL;
    }

  for (guint i = 0; i < hub->batch_frames->len; i++)
    {
      BatchFrame *batch_frame = g_ptr_array_index (hub->batch_frames, i);

      if (batch_frame->client == client)
        batch_frame->client = NULL;
    }
}

/* Shutting down: the clients never got an ack for these, and will send them again. */
void
hub_drop_parked (ConfabHub *hub)
{
  g_clear_handle_id (&hub->parked_retry, g_source_remove);
  g_queue_clear_full (&hub->parked, (GDestroyNotify) parked_free);
  hub->parked_bytes = 0;
}

/* Frames of committed units go out with their batch; this only exists so that callers say
 * where their unit's frames are complete. */
void
hub_flush (ConfabHub *hub)
{
  if (!hub->batch_open)
    g_assert (hub->outgoing->len == 0);
}

/* A frame for one client, in order with the batch: an ack must not overtake what it confirms,
 * and must not be sent before that is durable. */
void
queue_for_client (ConfabHub  *hub,
                  Client     *client,
                  JsonObject *frame,
                  const char *failure_ref)
{
  Outgoing *outgoing;

  if (!hub->batch_open)
    {
      client_send (client, frame);
      return;
    }

  outgoing = g_new0 (Outgoing, 1);
  outgoing->client = client;
  outgoing->client_text = confab_frame_to_string (frame);
  outgoing->failure_ref = g_strdup (failure_ref);
  g_ptr_array_add (hub->outgoing, outgoing);
}

void
confab_hub_sync (ConfabHub *hub)
{
  hub_writer_sync (hub->writer);
  hub_commit_batch (hub);
}

static void
queue_frames (ConfabHub  *hub,
              const char *site_id,
              JsonObject *for_agents,
              const char *visitor_id,
              JsonObject *for_visitor)
{
  Outgoing *outgoing = g_new0 (Outgoing, 1);

  outgoing->site_id = g_strdup (site_id);
  outgoing->agent_text = for_agents ? confab_frame_to_string (for_agents) : NULL;
  if (for_agents != NULL && site_id != NULL)
    outgoing->cursor = json_object_get_int_member_with_default (for_agents, "cursor", 0);
  outgoing->visitor_id = g_strdup (visitor_id);
  outgoing->visitor_text = for_visitor ? confab_frame_to_string (for_visitor) : NULL;
  g_ptr_array_add (hub->outgoing, outgoing);
}

void
hub_queue_visitor_frame (ConfabHub  *hub,
                         const char *visitor_id,
                         JsonObject *frame)
{
  queue_frames (hub, NULL, NULL, visitor_id, frame);
}

/* Stores @frame as an event of @site_id and queues it for the site's agents with its cursor.
 * Inside hub_begin()/hub_commit() only. */
gboolean
persist_event (ConfabHub   *hub,
               const char  *site_id,
               const char  *kind,
               const char  *conversation_id,
               JsonObject  *frame,
               GError     **error)
{
  g_autofree char *payload = confab_frame_to_string (frame);
  gint64 cursor;

  g_assert (hub->tx_depth > 0);

  cursor = confab_store_add_event (hub->relay->store, site_id, kind, conversation_id, payload, error);
  if (cursor <= 0)
    return FALSE;

  json_object_set_int_member (frame, "cursor", cursor);
  queue_frames (hub, site_id, frame, NULL, NULL);
  return TRUE;
}

/* persist_event() for a rating: it replaces the conversation's earlier rating events. */
gboolean
persist_rating (ConfabHub   *hub,
                const char  *site_id,
                const char  *conversation_id,
                JsonObject  *frame,
                GError     **error)
{
  g_autofree char *payload = confab_frame_to_string (frame);
  gint64 cursor;

  g_assert (hub->tx_depth > 0);

  cursor = confab_store_add_rating_event (hub->relay->store, site_id, conversation_id, payload,
                                          error);
  if (cursor <= 0)
    return FALSE;

  json_object_set_int_member (frame, "cursor", cursor);
  queue_frames (hub, site_id, frame, NULL, NULL);
  return TRUE;
}

static JsonObject *
conversation_frame (ConfabHub                *hub,
                    const ConfabConversation *conversation,
                    ConfabAudience            audience)
{
  JsonObject *frame = confab_frame_new ("conversation");

  if (audience == CONFAB_AUDIENCE_AGENT)
    json_object_set_string_member (frame, "site_id", conversation->site_id);
  json_object_set_object_member (frame, "conversation",
                                 confab_conversation_to_json (hub->relay->store, conversation, audience));
  return frame;
}

/* The conversation changed: a persisted event for agents, a frame for the visitor's tabs. */
gboolean
announce_conversation (ConfabHub                *hub,
                       const ConfabConversation *conversation,
                       GError                  **error)
{
  g_autoptr (JsonObject) for_agents = NULL;
  g_autoptr (JsonObject) for_visitor = NULL;

  /* issue 18: the queue follows (before the object is written: its queue_position) */
  if (!hub_route_conversation_changed (hub, conversation, error))
    return FALSE;
  for_agents = conversation_frame (hub, conversation, CONFAB_AUDIENCE_AGENT);
  for_visitor = conversation_frame (hub, conversation, CONFAB_AUDIENCE_VISITOR);
  if (!persist_event (hub, conversation->site_id, CONFAB_EVENT_CONVERSATION,
                      conversation->id, for_agents, error))
    return FALSE;
  hub_route_heard (hub, conversation->site_id, conversation->id, for_agents);

  queue_frames (hub, NULL, NULL, conversation->visitor_id, for_visitor);
  /* a target that started: its timer may have to ring sooner */
  if (conversation->target_kind != CONFAB_TARGET_NONE && conversation->target_state == CONFAB_TARGET_OK)
    confab_targets_changed (hub->relay->targets);
  return TRUE;
}

JsonObject *
message_frame (const ConfabMessage *message,
               const char          *site_id,
               ConfabAudience       audience)
{
  JsonObject *frame = confab_frame_new ("message");
  g_autoptr (JsonObject) fields = confab_message_to_json (message, audience);
  g_autoptr (GList) names = json_object_get_members (fields);

  for (GList *l = names; l; l = l->next)
    json_object_set_member (frame, l->data, json_node_copy (json_object_get_member (fields, l->data)));
  if (audience == CONFAB_AUDIENCE_AGENT)
    {
      json_object_set_string_member (frame, "site_id", site_id);
      json_object_set_int_member (frame, "cursor", message->cursor);
    }
  return frame;
}

/* queue_frames() for a message: its texts written directly (confab-hub-frames.c) */
void
queue_message (ConfabHub           *hub,
               const ConfabMessage *message,
               const char          *site_id,
               const char          *visitor_id)
{
  Outgoing *outgoing = g_new0 (Outgoing, 1);

  outgoing->site_id = g_strdup (site_id);
  outgoing->agent_text = hub_message_frame_text (message, site_id, CONFAB_AUDIENCE_AGENT);
  if (site_id != NULL)
    outgoing->cursor = message->cursor;
  outgoing->visitor_id = g_strdup (visitor_id);
  outgoing->visitor_text = hub_message_frame_text (message, site_id, CONFAB_AUDIENCE_VISITOR);
  g_ptr_array_add (hub->outgoing, outgoing);
}

/* {"type":"ack","client_id","conversation_id","seq"}, in order with the batch as
 * queue_for_client() sends */
void
send_ack (Client              *client,
          const ConfabMessage *message)
{
  ConfabHub *hub = client->hub;
  g_autofree char *text = hub_ack_text (message);
  Outgoing *outgoing;

  if (!hub->batch_open)
    {
      client_send_text (client, text);
      return;
    }

  outgoing = g_new0 (Outgoing, 1);
  outgoing->client = client;
  outgoing->client_text = g_steal_pointer (&text);
  outgoing->failure_ref = g_strdup (message->client_id);
  g_ptr_array_add (hub->outgoing, outgoing);
}

/* The "visitor" frame agents get: the visitor as the store has them now, with the latest
 * JOURNEY_LENGTH pages of their journey. */
JsonObject *
visitor_frame (ConfabHub   *hub,
               const char  *site_id,
               const char  *visitor_id,
               gboolean     online,
               GError     **error)
{
  g_autoptr (ConfabVisitor) visitor = NULL;
  JsonObject *frame;

  visitor = confab_store_get_visitor (hub->relay->store, visitor_id, error);
  if (visitor == NULL)
    return NULL;

  frame = confab_frame_new ("visitor");
  json_object_set_string_member (frame, "site_id", site_id);
  json_object_set_object_member (frame, "visitor",
                                 confab_visitor_to_json (hub->relay->store, visitor, online, JOURNEY_LENGTH));
  return frame;
}

/* A visitor arrived, changed page or left. */
void
announce_visitor (ConfabHub  *hub,
                  const char *site_id,
                  const char *visitor_id,
                  gboolean    online)
{
  g_autoptr (JsonObject) frame = NULL;
  g_autoptr (JsonObject) stored = NULL;
  g_autoptr (GError) error = NULL;

  frame = visitor_frame (hub, site_id, visitor_id, online, &error);
  if (frame == NULL)
    {
      g_warning ("Visitor event lost: %s", error->message);
      return;
    }

  /* The log keeps who and whether online, not the snapshot (ten pages of journey, each URL
   * up to 2 KB): the journey is in page_views, and a replay reads the rest again. */
  stored = confab_frame_new ("visitor");
  json_object_set_string_member (stored, "site_id", site_id);
  {
    JsonObject *who = json_object_new ();

    json_object_set_string_member (who, "id", visitor_id);
    json_object_set_boolean_member (who, "online", online);
    json_object_set_object_member (stored, "visitor", who);
  }

  if (!hub_begin (hub, &error))
    goto lost;
  /* persist_event(), except that this event replaces the visitor's earlier ones in the log */
  {
    g_autofree char *payload = confab_frame_to_string (stored);
    gint64 cursor = confab_store_add_visitor_event (hub->relay->store, site_id, visitor_id,
                                                    payload, &error);

    if (cursor <= 0)
      {
        hub_rollback (hub);
        goto lost;
      }
    json_object_set_int_member (frame, "cursor", cursor);
    queue_frames (hub, site_id, frame, NULL, NULL);
  }
  if (!hub_commit (hub, &error))
    goto lost;
  hub_flush (hub);
  return;

lost:
  g_warning ("Visitor event lost: %s", error->message);
}

/* --- messages --- */

/* For a message without a conversation (a visitor's, or an agent's start_conversation): the
 * visitor's current one, reopened when it was resolved, or a new one, which is @assignee_id's
 * when that is set (an agent who starts a chat has taken it on). Agents hear of it before the
 * message (a lower cursor). */
static ConfabConversation *
prepare_visitor_conversation (ConfabHub  *hub,
                              const char *site_id,
                              const char *visitor_id,
                              const char *assignee_id,
                              const char *team_key,
                              GError    **error)
{
  g_autofree char *routed_to = NULL;
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) before = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *actor_id = NULL;

  conversation = confab_store_get_current_conversation (store, visitor_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (conversation == NULL)
    {
      conversation = confab_store_create_conversation (store, site_id, visitor_id, error);
      if (conversation != NULL && assignee_id != NULL)
        {
          /* the agent who started it took it on: its timeline says so; issue 18: its team,
           * and the agent's load */
          before = g_steal_pointer (&conversation);
          conversation = confab_store_get_conversation (store, before->id, error);
          if (conversation != NULL)
            conversation = hub_route_agent_started (hub, g_steal_pointer (&conversation),
                                                    assignee_id, error);
          actor_id = assignee_id;
        }
      else if (conversation != NULL)
        /* issue 18: its team, then an agent or the queue */
        conversation = hub_route_new_conversation (hub, g_steal_pointer (&conversation), team_key,
                                                   &routed_to, error);
    }
  else if (conversation->status == CONFAB_STATUS_RESOLVED)
    {
      /* a follow-up question */
      before = g_steal_pointer (&conversation);
      conversation = confab_store_set_status (store, before->id, CONFAB_STATUS_OPEN, error);
    }
  else
    return g_steal_pointer (&conversation);

  /* the timeline event after the conversation event, which agents need first */
  if (conversation == NULL || !announce_conversation (hub, conversation, error) ||
      (before != NULL &&
       !record_conversation_change (hub, before, conversation, actor_id, NULL, error)) ||
      (routed_to != NULL && !hub_route_record_assigned (hub, conversation, routed_to, error)))
    return NULL;

  return g_steal_pointer (&conversation);
}

/* Appends @draft and tells everyone; the shared path of visitor and agent messages. */
void
deliver_message (Client             *client,
                 ConfabMessageDraft *draft)
{
  ConfabHub *hub = client->hub;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) prepared = NULL;
  g_autoptr (GError) error = NULL;
  ConfabAppendResult result;
  gboolean changed = FALSE;

  if (!hub_begin (hub, &error))
    {
      client_store_failed (client, error, draft->client_id);
      return;
    }

  if (draft->conversation_id == NULL)
    {
      prepared = prepare_visitor_conversation (hub, draft->site_id, draft->visitor_id,
                                               client->kind == CLIENT_AGENT ? client->user_id : NULL,
                                               client->kind == CLIENT_VISITOR ? client->route_team : NULL,
                                               &error);
      /* a proactive greeting they answer is the conversation's first message (issue 16) */
      if (prepared == NULL || !hub_engage_greeting_first (client, prepared, &error))
        {
          hub_rollback (hub);
          client_store_failed (client, error, draft->client_id);
          return;
        }
      draft->conversation_id = prepared->id;
    }

  /* Inside the transaction: a visitor's upload made before their first message is tied to
   * the conversation only if the message is stored too. */
  if (draft->attachment_id != NULL &&
      !confab_store_claim_upload (hub->relay->store, draft->attachment_id, draft->conversation_id,
                                  draft->sender_type == CONFAB_SENDER_VISITOR ? draft->sender_id : NULL,
                                  &error))
    {
      hub_rollback (hub);
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        client_bad_frame (client, "not_found", "No such attachment", draft->client_id);
      else
        client_store_failed (client, error, draft->client_id);
      return;
    }

  if (!confab_store_append_message (hub->relay->store, draft, &message, &conversation,
                                    &changed, &result, &error))
    {
      hub_rollback (hub);
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_CONFLICT))
        client_bad_frame (client, "client_id_conflict",
                          "This client_id was used before for another message", draft->client_id);
      else if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        client_bad_frame (client, "not_found", "No such conversation", draft->client_id);
      else
        client_store_failed (client, error, draft->client_id);
      return;
    }

  if (result == CONFAB_APPEND_DUPLICATE)
    {
      /* A blind retry after a lost ack: undo what preparing it did (a new or reopened
       * conversation), acknowledge again, tell nobody else. */
      hub_rollback (hub);
      send_ack (client, message);
      return;
    }

  if (changed && !announce_conversation (hub, conversation, &error))
    {
      hub_rollback (hub);
      client_store_failed (client, error, draft->client_id);
      return;
    }

  /* a conversation on Messenger or WhatsApp: the message is queued for the platform too, or
   * refused (the 24-hour window) with nothing stored; one by e-mail: it is queued to be mailed */
  if (client->kind == CLIENT_AGENT &&
      !hub_channel_outgoing (hub, conversation, message, draft, &error))
    {
      hub_rollback (hub);
      if (confab_meta_error_code (error) != NULL)
        client_bad_frame (client, confab_meta_error_code (error), error->message, draft->client_id);
      else
        client_store_failed (client, error, draft->client_id);
      return;
    }

  /* both go out once the batch is durable: the ack first, then the message to everyone */
  send_ack (client, message);
  queue_message (hub, message, conversation->site_id, conversation->visitor_id);

  /* an agent's reply takes an unassigned conversation on (after the message: in cursor order) */
  if (!assign_on_reply (client, &conversation, &error))
    {
      hub_rollback (hub);
      client_store_failed (client, error, draft->client_id);
      return;
    }

  /* issue 15: a visitor's first message while no agent is online is a missed chat for those
   * who want mail (an agent's reply in an e-mail conversation was queued with the channels'),
   * also after a trigger's greeting stored before it (issue 16) */
  if (client->kind == CLIENT_VISITOR &&
      (message->seq == 1 || (prepared != NULL && prepared->last_seq == 0)) &&
      confab_hub_agents_online (hub, conversation->site_id) == 0 &&
      !confab_mail_notify_missed_chat (hub->relay, conversation, message->body, &error))
    {
      hub_rollback (hub);
      client_store_failed (client, error, draft->client_id);
      return;
    }

  if (!hub_commit (hub, &error))
    {
      client_store_failed (client, error, draft->client_id);
      return;
    }
  hub_flush (hub);
  if (message->delivery_status != NULL)
    confab_meta_kick (hub->relay);
  confab_metrics_inc (client->kind == CLIENT_AGENT ? CONFAB_METRIC_MESSAGES_IN_AGENT
                                                   : CONFAB_METRIC_MESSAGES_IN_VISITOR);

  /* The visitor's tabs resume, read, type and rate in the conversation they now have, also
   * when an agent started it (prepared: it is their current one). */
  if (client->kind == CLIENT_VISITOR || prepared != NULL)
    {
      GPtrArray *tabs = index_get (hub->visitor_tabs, conversation->visitor_id);

      for (guint i = 0; tabs && i < tabs->len; i++)
        {
          Client *tab = g_ptr_array_index (tabs, i);
          g_free (tab->conversation_id);
          tab->conversation_id = g_strdup (conversation->id);
        }
    }

  /* after the visitor's message is out: the bot's answer follows it */
  if (client->kind == CLIENT_VISITOR)
    confab_faq_after_visitor_message (hub->relay, conversation, message);
}

gboolean
take_message_tokens (Client     *client,
                     const char *ref)
{
  gint64 now = confab_rate_limit_now_ms ();
  guint retry = 0;

  /* a message held for the database and run again (its client's frames run in order, so this
   * is that message) paid when it came */
  if (client->prepaid > 0)
    {
      client->prepaid--;
      if (client->hub->holding == client)
        client->hub->holding_paid = TRUE;
      return TRUE;
    }

  if (!confab_token_bucket_take (&client->messages, now, &retry) ||
      !confab_shared_limit_take (client->hub->relay->messages_per_ip, client->ip_hash, now, &retry))
    {
      client_rate_limited (client, retry, ref);
      return FALSE;
    }
  if (client->hub->holding == client)
    client->hub->holding_paid = TRUE;
  return TRUE;
}

/* client_id, body, attachment_id: the checks agents and visitors share. */
gboolean
read_message_fields (Client      *client,
                     JsonObject  *frame,
                     const char **client_id,
                     const char **body,
                     const char **attachment_id)
{
  g_autoptr (GError) error = NULL;

  if (!confab_json_get_string (frame, "client_id", TRUE, client_id, &error))
    {
      client_bad_gerror (client, error, NULL);
      return FALSE;
    }
  if (!require_length (client, "client_id", *client_id, 1, MAX_CLIENT_ID_CHARS, NULL))
    return FALSE;

  if (!confab_json_get_string (frame, "body", FALSE, body, &error) ||
      !confab_json_get_string (frame, "attachment_id", FALSE, attachment_id, &error))
    {
      client_bad_gerror (client, error, *client_id);
      return FALSE;
    }

  /* Whether the attachment may go into the conversation is decided in deliver_message(),
   * where the conversation is known (confab_store_claim_upload()). */
  if (*attachment_id != NULL &&
      !require_length (client, "attachment_id", *attachment_id, 1, MAX_CLIENT_ID_CHARS, *client_id))
    return FALSE;

  if (*body == NULL)
    {
      /* a picture needs no words */
      if (*attachment_id != NULL)
        return TRUE;
      client_bad_frame (client, "missing_field", "“body” is required", *client_id);
      return FALSE;
    }

  if (!require_length (client, "body", *body, 1, MAX_BODY_CHARS, *client_id))
    return FALSE;

  {
    g_autofree char *trimmed = g_strstrip (g_strdup (*body));
    if (*trimmed == '\0')
      {
        client_bad_frame (client, "invalid_value", "“body” must not be only white space", *client_id);
        return FALSE;
      }
  }

  return TRUE;
}
