/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-private.h: what the files of the hub share.
 *
 *   confab-hub.c           connections, rooms (indexes), sending, presence, upgrades
 *   confab-hub-delivery.c  group commit, persisted events, messages and what they send
 *   confab-hub-visitor.c   the frames visitors send
 *   confab-hub-agent.c     the frames agents send, the backlog after subscribe
 *   confab-hub-unseen.c    conversation timeline events, offline messages' changes
 *   confab-hub-admin.c     site changes pushed to agents, deleted sites, rotated keys,
 *                          assign-on-reply
 */
#pragma once

#include "confab-hub.h"
#include "confab-auth.h"
#include "confab-device.h"
#include "confab-faq.h"
#include "confab-geo.h"
#include "confab-http.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-util.h"
#include "confab-websocket.h"

#include <stdlib.h>
#include <string.h>

G_BEGIN_DECLS

#define MAX_FRAME_DEPTH      32
#define MAX_BODY_CHARS       4000
#define MAX_CLIENT_ID_CHARS  100
#define MAX_URL_CHARS        2048
#define MAX_TITLE_CHARS      500
#define MAX_NAME_CHARS       100
#define MAX_EMAIL_CHARS      254
#define MAX_COMMENT_CHARS    2000
#define JOURNEY_LENGTH       10
#define BACKLOG_BATCH        200
#define PREVIEW_INTERVAL_MS  100
/* A User-Agent longer than this is no browser's; the hello's own field has the same limit. */
#define MAX_USER_AGENT_CHARS 1000

typedef struct _HubWriter HubWriter;

typedef enum {
  CLIENT_VISITOR,
  CLIENT_AGENT,
} ClientKind;

typedef struct {
  ConfabHub               *hub;
  ConfabWebsocket         *ws;
  ClientKind               kind;
  char                    *ip_hash;
  guint                    bad_frames;
  gboolean                 closing;
  guint                    parked;       /* its frames waiting for the database (hub->parked) */
  guint                    prepaid;      /* of those, messages whose rate-limit tokens are taken */
  ConfabTokenBucket        messages;
  ConfabTokenBucket        typing;
  ConfabTokenBucket        frames;       /* every frame of a visitor */
  ConfabTokenBucket        page_views;
  ConfabTokenBucket        refusals;     /* rate_limited answers before the connection is closed */

  /* visitors */
  ConfabGeoResult         *geo;          /* looked up at the upgrade; NULL = unknown. The raw IP
                                          * itself is never kept. */
  char                    *header_user_agent; /* for a hello without user_agent */
  char                    *site_id;
  char                    *visitor_id;   /* set by hello */
  char                    *visitor_name;
  char                    *conversation_id;
  char                    *route_team;   /* the team key of the next new conversation
                                          * (message's "team"; confab-hub-routing.c) */
  gboolean                 previews_allowed;
  char                    *pending_preview;
  guint                    preview_source;
  gint64                   last_preview_ms;
  gboolean                 preview_shown; /* agents see a text of this visitor's (not cleared) */

  /* agents */
  char                    *user_id;
  char                    *user_name;
  char                    *token_hash;
  GPtrArray               *site_ids;     /* char* */
  char                    *presence;
  gboolean                 subscribed;
  gboolean                 syncing;
  gint64                   sync_cursor;
  guint                    sync_source;
} Client;

struct _ConfabHub
{
  ConfabRelay *relay;
  GHashTable  *clients;          /* Client* set; owns them */
  GHashTable  *visitor_tabs;     /* visitor id → GPtrArray<Client*> */
  GHashTable  *site_visitors;    /* site id → GPtrArray<Client*> (after hello) */
  GHashTable  *site_agents;      /* site id → GPtrArray<Client*> */
  GHashTable  *site_online;      /* site id → GUINT agents online, as visitors were last told */
  GHashTable  *visitor_updates;  /* visitor id → VisitorUpdate*: the throttle of "visitor" events */

  /* per address (the keyed hash of the IP), every connection together */
  ConfabSharedLimit *frames_per_ip;
  ConfabSharedLimit *hellos_per_ip;
  ConfabSharedLimit *page_views_per_ip;

  /* Group commit: units of work (hub_begin … hub_commit) join one open store transaction,
   * committed when the main loop has nothing else to do, or after BATCH_MAX_MS or BATCH_MAX_UNITS.
   * One fsync then covers every message that arrived meanwhile. Frames about the batch (acks
   * included) wait in @outgoing and go out, in order, once it is durable. */
  GPtrArray   *outgoing;         /* Outgoing* */
  guint        tx_depth;         /* units open */
  guint        unit_mark;        /* outgoing->len when the outermost unit began */
  gboolean     batch_open;
  gint64       batch_started;    /* monotonic µs */
  guint        batch_units;
  guint        batch_idle;
  guint        batch_deadline;
  guint        batch_serial;     /* counts the batches opened */
  GPtrArray   *batch_frames;     /* BatchFrame*: the frames whose changes are in the open batch */

  /* Frames that need the database while another process holds its write lock, in arrival
   * order, retried from the loop with backoff instead of blocking it (hub_receive_frame()). */
  GQueue       parked;           /* Parked* */
  /* [store] writer-thread: visitors' messages stored on a second thread (confab-hub-writer.c) */
  HubWriter   *writer;
  gsize        parked_bytes;
  guint        parked_retry;
  guint        parked_backoff_ms;
  /* The frame being run in the batch (dispatch_in_batch ()), if it is one that can run again
   * as a whole (frame_holdable ()): one that meets another relay's lock (BUSY) is held and
   * retried, not refused (client_store_failed ()). holding_ref: a message's client_id. */
  Client      *holding;
  const char  *holding_ref;
  gboolean     held;
  gboolean     holding_paid;     /* it took its rate-limit tokens (take_message_tokens (), hello) */

  struct _HubCluster *cluster;   /* several relays (confab-hub-cluster.c); NULL without a bus */
  struct _HubRouting *routing;   /* the queue's drains and visitors (confab-hub-routing.c) */
  struct _HubLeads   *leads;     /* lead scores kept current (confab-hub-leads.c) */
};

#define BATCH_MAX_MS    5
#define BATCH_MAX_UNITS 256

typedef struct {
  Client *client;     /* this client gets client_text (NULL once it has gone) */
  char *client_text;
  char *failure_ref;  /* client_id to name in an error to @client if the batch fails */
  char *site_id;      /* the site's live agents get agent_text */
  char *agent_text;
  char *visitor_id;   /* this visitor's tabs get visitor_text */
  char *visitor_text;
  gint64 cursor;      /* of the logged event agent_text is, else 0 (other relays read it) */
} Outgoing;

void
outgoing_free (Outgoing *outgoing);

/* What a failed batch must answer and undo, per frame that changed something in it. */
typedef struct {
  Client *client;     /* NULL once it has gone */
  char   *ref;        /* the frame's client_id, for the error */
  gboolean hello;     /* the visitor's identity was set from it (undone on failure) */
} BatchFrame;

void
batch_frame_free (BatchFrame *batch_frame);

void
index_add (GHashTable *index,
           const char *key,
           Client     *client);

GPtrArray *
index_get (GHashTable *index,
           const char *key);

void
index_remove (GHashTable *index,
              const char *key,
              Client     *client);

gboolean
agent_in_site (Client     *client,
               const char *site_id);

gboolean
client_backlogged (Client  *client,
                   guint64  limit);

gboolean
client_send_text (Client     *client,
                  const char *text);

void
client_close (Client     *client,
              gushort     code,
              const char *reason);

gboolean
client_send (Client     *client,
             JsonObject *frame);

void
client_bad_frame (Client     *client,
                  const char *code,
                  const char *message,
                  const char *ref);

void
client_bad_gerror (Client       *client,
                   const GError *error,
                   const char   *ref);

void
client_rate_limited (Client     *client,
                     guint       retry_after_ms,
                     const char *ref);

void
client_store_failed (Client       *client,
                     const GError *error,
                     const char   *ref);

void
fanout_agents (ConfabHub  *hub,
               const char *site_id,
               const char *text);

void
fanout_visitor_text (ConfabHub  *hub,
                     const char *visitor_id,
                     const char *text);

void
fanout_visitor (ConfabHub  *hub,
                const char *visitor_id,
                JsonObject *frame);

/* Visitors of @site_id hear the count of agents online when it changed. */
void
hub_fanout_agents_online (ConfabHub  *hub,
                          const char *site_id);

void
announce_presence (ConfabHub  *hub,
                   Client     *agent,
                   const char *status);

gboolean
hub_join_batch (ConfabHub  *hub,
                GError    **error);

gboolean
hub_begin (ConfabHub  *hub,
           GError    **error);

void
hub_rollback (ConfabHub *hub);

gboolean
hub_commit (ConfabHub  *hub,
            GError    **error);

void
hub_commit_batch (ConfabHub *hub);

/* Commits the open batch before a read of the log (resume, backlog). */
void
hub_settle_batch (ConfabHub *hub);

void
hub_flush (ConfabHub *hub);

void
queue_for_client (ConfabHub  *hub,
                  Client     *client,
                  JsonObject *frame,
                  const char *failure_ref);

gboolean
persist_event (ConfabHub   *hub,
               const char  *site_id,
               const char  *kind,
               const char  *conversation_id,
               JsonObject  *frame,
               GError     **error);

gboolean
persist_rating (ConfabHub   *hub,
                const char  *site_id,
                const char  *conversation_id,
                JsonObject  *frame,
                GError     **error);

/* confab-hub-unseen.c */
gboolean
record_timeline (ConfabHub                *hub,
                 const ConfabConversation *conversation,
                 const char               *kind,
                 const char               *actor_id,
                 const char               *actor_name,
                 const char               *target_id,
                 JsonObject               *extra,
                 GError                  **error);

gboolean
record_conversation_change (ConfabHub                *hub,
                            const ConfabConversation *before,
                            const ConfabConversation *after,
                            const char               *actor_id,
                            const char               *actor_name,
                            GError                  **error);

gboolean
announce_new_offline_message (ConfabHub   *hub,
                              const char  *offline_id,
                              GError     **error);

gboolean
announce_conversation (ConfabHub                *hub,
                       const ConfabConversation *conversation,
                       GError                  **error);

JsonObject *
message_frame (const ConfabMessage *message,
               const char          *site_id,
               ConfabAudience       audience);

/* confab-hub-frames.c: message_frame()'s and send_ack()'s texts without a JSON tree */
char *
hub_message_frame_text (const ConfabMessage *message,
                        const char          *site_id,
                        ConfabAudience       audience);

char *
hub_ack_text (const ConfabMessage *message);

void
queue_message (ConfabHub           *hub,
               const ConfabMessage *message,
               const char          *site_id,
               const char          *visitor_id);

void
send_ack (Client              *client,
          const ConfabMessage *message);

JsonObject *
visitor_frame (ConfabHub   *hub,
               const char  *site_id,
               const char  *visitor_id,
               gboolean     online,
               GError     **error);

void
announce_visitor (ConfabHub  *hub,
                  const char *site_id,
                  const char *visitor_id,
                  gboolean    online);

gboolean
tabs_online (ConfabHub  *hub,
             const char *visitor_id);

void
visitor_changed (ConfabHub  *hub,
                 const char *site_id,
                 const char *visitor_id);

void
visitor_updates_free (gpointer data);

void
visitor_updates_flush (ConfabHub *hub);

/* Forgets what waits to be told of visitors of @site_id (the site was deleted). */
void
visitor_updates_drop_site (ConfabHub  *hub,
                           const char *site_id);

gboolean
settings_flag (const ConfabSite *site,
               const char       *flag,
               gboolean          default_value);

void
deliver_message (Client             *client,
                 ConfabMessageDraft *draft);

gboolean
take_message_tokens (Client     *client,
                     const char *ref);

gboolean
read_message_fields (Client      *client,
                     JsonObject  *frame,
                     const char **client_id,
                     const char **body,
                     const char **attachment_id);

/* The visitor's tab @client closed (already out of the indexes): its preview waiting for the
 * throttle is dropped, and a preview agents still see is cleared when it was the last tab. */
void
preview_tab_closed (Client *client);

void
handle_visitor_frame (Client     *client,
                      const char *type,
                      JsonObject *frame);

/* A connection on @ws with its limits, known to the hub; takes @ip_hash. */
Client *
hub_client_new (ConfabHub       *hub,
                ConfabWebsocket *ws,
                ClientKind       kind,
                char            *ip_hash);

/* Parses a text frame; NULL after telling the client what was wrong with it. */
JsonObject *
client_parse_frame (Client      *client,
                    GBytes      *message,
                    const char **out_type);

void
client_dispatch_frame (Client     *client,
                       const char *type,
                       JsonObject *frame);

/* Dispatches @frame (@message is its text), or parks it while the database is locked. */
void
hub_receive_frame (Client     *client,
                   GBytes     *message,
                   const char *type,
                   JsonObject *frame);

/* @client is being freed: nothing may point at it any more. */
void
hub_forget_client (ConfabHub *hub,
                   Client    *client);

void
hub_drop_parked (ConfabHub *hub);

/* The last tab of @visitor_id closed: its page views end and agents hear of it, now or, while
 * another process holds the database's lock, once it is free. */
void
hub_visitor_left (ConfabHub  *hub,
                  const char *site_id,
                  const char *visitor_id);

gboolean
pump_backlog (gpointer user_data);

/* A logged event as agents get it, live or in a backlog (with its cursor). */
JsonObject *
event_agent_frame (ConfabHub   *hub,
                   ConfabEvent *event);

void
send_team_presence (Client *client);

/* confab-hub-notes.c: an agent's "note" frame */
void
agent_note (Client     *client,
            JsonObject *frame);

void
handle_agent_frame (Client     *client,
                    const char *type,
                    JsonObject *frame);

gboolean
require_length (Client     *client,
                const char *field,
                const char *value,
                glong       min,
                glong       max,
                const char *ref);

/* confab-hub-admin.c: inside an agent message's unit of work, makes an unassigned
 * *@conversation the sender's when the site's assign_on_reply (default TRUE) says so; then
 * *@conversation is the assigned one. */
gboolean
assign_on_reply (Client              *client,
                 ConfabConversation **conversation,
                 GError             **error);

/* confab-hub-data.c: error "blocked", then close 4011. */
void
hub_refuse_blocked (Client *client);

/* confab-hub-data.c: @visitor_id was deleted: its open tabs close (1000) without announcing a
 * departure; they reconnect as a new visitor. */
void
hub_close_deleted_visitor (ConfabHub  *hub,
                           const char *visitor_id);
/* Holds a frame that needs the database while another process has its write lock. */
void
hub_park_frame (Client     *client,
                GBytes     *message,
                JsonObject *frame);

/* confab-hub-channels.c: inside an agent message's unit of work, hands it to the channel of its
 * conversation when that is not the web — Messenger, WhatsApp, e-mail — (errors in
 * CONFAB_META_ERROR: refuse the message). */
gboolean
hub_channel_outgoing (ConfabHub                *hub,
                      const ConfabConversation *conversation,
                      ConfabMessage            *message,
                      const ConfabMessageDraft *draft,
                      GError                  **error);

/* confab-hub-writer.c */
HubWriter *
hub_writer_new (ConfabHub  *hub,
                GError    **error);

void
hub_writer_free (HubWriter *writer);

gboolean
hub_writer_takes (Client     *client,
                  JsonObject *frame);

void
hub_writer_queue (Client                   *client,
                  const ConfabMessageDraft *draft);

void
hub_writer_sync (HubWriter *writer);

void
hub_writer_forget_client (HubWriter *writer,
                          Client    *client);

/* --- routing (confab-hub-routing.c, issue 18) --- */
typedef struct _HubRouting HubRouting;
typedef struct _HubLeads HubLeads;

void                hub_routing_free (ConfabHub *hub);
ConfabConversation *hub_route_new_conversation (ConfabHub           *hub,
                                                ConfabConversation  *conversation,
                                                const char          *team_key,
                                                char               **out_routed_to,
                                                GError             **error);
ConfabConversation *hub_route_agent_started    (ConfabHub           *hub,
                                                ConfabConversation  *conversation,
                                                const char          *agent_id,
                                                GError             **error);
gboolean            hub_route_record_assigned  (ConfabHub                *hub,
                                                const ConfabConversation *conversation,
                                                const char               *agent_id,
                                                GError                  **error);
gboolean            hub_route_conversation_changed (ConfabHub                *hub,
                                                const ConfabConversation *conversation,
                                                GError                  **error);
void                hub_route_heard            (ConfabHub  *hub,
                                                const char *site_id,
                                                const char *conversation_id,
                                                JsonObject *for_agents);
JsonObject         *hub_route_queue_json       (ConfabHub  *hub,
                                                const char *conversation_id);
void                hub_route_later            (ConfabHub  *hub,
                                                const char *site_id);
gboolean            hub_route_leave_queue      (ConfabHub   *hub,
                                                const char  *conversation_id,
                                                GError     **error);
void                hub_route_presence         (ConfabHub  *hub,
                                                Client     *agent,
                                                const char *status);
/* issue 18 on several relays: @user_id's status on @site_id changed on another relay; and the
 * site's agents holding chats looked at after a fresh presence list (confab-hub-cluster.c). */
void                hub_route_presence_changed (ConfabHub  *hub,
                                                const char *site_id,
                                                const char *user_id);
void                hub_route_sweep            (ConfabHub  *hub,
                                                const char *site_id);
/* queue_frames () for a frame to a visitor's tabs only (sent once the batch is durable) */
void                hub_queue_visitor_frame    (ConfabHub  *hub,
                                                const char *visitor_id,
                                                JsonObject *frame);
/* confab-hub-engage.c: "track" and "trigger" (issue 16) */
gboolean
hub_engage_is_frame (const char *type);

void
hub_engage_frame (Client     *client,
                  const char *type,
                  JsonObject *frame);

void
hub_engage_visitor_message (Client     *client,
                            const char *body);

/* Before a visitor's first message in the new @conversation: the greeting of their visit they
 * answer goes first. */
gboolean
hub_engage_greeting_first (Client                   *client,
                           const ConfabConversation *conversation,
                           GError                  **error);

G_END_DECLS
