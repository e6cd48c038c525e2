/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store.h: everything the relay keeps, behind one small interface.
 *
 * All SQL lives behind this header (confab-store-sqlite.c). The hub, auth and http modules only
 * see these records and calls, so a PostgreSQL implementation can replace the file later.
 *
 * Every call is synchronous and runs on the main loop: SQLite in WAL mode answers these in
 * microseconds, and one thread keeps the ordering of cursors trivially right. (The hub's writer
 * thread, relay/hub/confab-hub-writer.c, stores visitors' messages through a store of its own,
 * opened on the same database, while the main loop leaves the database to it.)
 *
 * Every mutating call is atomic on its own. A caller that needs several calls to be atomic
 * together wraps them in confab_store_begin() / confab_store_commit() (or _rollback()); these
 * nest (SAVEPOINTs).
 *
 * Times are milliseconds since the Unix epoch (confab_now_ms()).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONFAB_STORE_ERROR (confab_store_error_quark ())

typedef enum {
  CONFAB_STORE_ERROR_FAILED,     /* SQLite said no: disk, corruption, ... (message says why) */
  CONFAB_STORE_ERROR_NOT_FOUND,  /* the id/key does not exist */
  CONFAB_STORE_ERROR_EXISTS,     /* unique value already taken (e-mail, membership) */
  CONFAB_STORE_ERROR_CONFLICT,   /* same client_id, other content */
  CONFAB_STORE_ERROR_TOO_NEW,    /* the database was written by a newer relay */
  CONFAB_STORE_ERROR_BUSY,       /* another process holds the database's write lock: try again */
  CONFAB_STORE_ERROR_FULL,       /* the disk (or the file system's quota) is full */
  CONFAB_STORE_ERROR_CORRUPT,    /* the file is damaged (quick_check found errors) */
  CONFAB_STORE_ERROR_UNAVAILABLE, /* the database server cannot be reached (PostgreSQL): the
                                   * store reconnects by itself, the client may retry */
} ConfabStoreError;

GQuark confab_store_error_quark (void);

typedef enum {
  CONFAB_STORE_SYNC_NORMAL, /* WAL + synchronous=NORMAL: survives a killed process */
  CONFAB_STORE_SYNC_FULL,   /* WAL + synchronous=FULL: also survives power loss */
} ConfabStoreSync;

typedef enum {
  CONFAB_ROLE_NONE = 0,
  CONFAB_ROLE_AGENT,
  CONFAB_ROLE_ADMIN,
  CONFAB_ROLE_OWNER,
} ConfabRole;

const char *confab_role_to_string   (ConfabRole  role);        /* "agent", "admin", "owner", NULL */
ConfabRole  confab_role_from_string (const char *text);        /* CONFAB_ROLE_NONE if unknown */

typedef enum {
  CONFAB_STATUS_OPEN,
  CONFAB_STATUS_PENDING,
  CONFAB_STATUS_RESOLVED,
  CONFAB_STATUS_CLOSED,
} ConfabConversationStatus;

const char *confab_status_to_string   (ConfabConversationStatus status);
gboolean    confab_status_from_string (const char               *text,
                                       ConfabConversationStatus *out_status);

typedef enum {
  CONFAB_SENDER_VISITOR,
  CONFAB_SENDER_AGENT,
  CONFAB_SENDER_BOT,
  CONFAB_SENDER_SYSTEM,
} ConfabSenderType;

const char *confab_sender_to_string (ConfabSenderType type);

typedef struct {
  char   *id;
  char   *email;
  char   *name;
  char   *password_hash;    /* libsodium crypto_pwhash_str() output */
  gint64  created_at;
} ConfabUser;

typedef struct {
  char       *id;
  char       *name;
  char       *site_key;
  char      **domains;       /* allowed Origin host patterns ("example.com", "*.example.com"); empty = any */
  char       *settings_json; /* widget settings and flags as a JSON object, "{}" by default */
  gboolean    enabled;
  gint64      created_at;
  ConfabRole  role;          /* the listing user's role; CONFAB_ROLE_NONE when not listed for a user */
} ConfabSite;

typedef struct {
  char   *id;
  char   *site_id;
  char   *token_hash;        /* SHA-256 hex of the visitor token */
  char   *name;              /* given in a pre-chat or leave-a-message form, else NULL */
  char   *email;
  char   *locale;
  char   *timezone;
  char   *browser;
  char   *os;
  char   *country;           /* NULL = unknown */
  char   *city;
  char   *fingerprint;       /* optional hash from the widget */
  gint64  first_seen;
  gint64  last_seen;
  gint64  visits;
  char   *country_name;      /* from the IP, when the geo database has it */
  char   *geo_timezone;      /* the IP's time zone (timezone above is what the browser says) */
  char   *browser_version;   /* major version, "126" */
  char   *os_version;        /* "10.15", "17.5", "14"; NULL when the User-Agent does not say */
  char   *device_type;       /* "desktop", "mobile", "tablet" */
  char   *linked_to;         /* the first visitor of the chain this one was recognised as, by
                              * fingerprint; NULL for an original */
  char   *channel;           /* how they first came: "web", "messenger", "whatsapp", "email";
                              * NULL (a store that does not know) means "web" */
} ConfabVisitor;

/* Where the visitor is and what they use, as the relay worked it out (confab-geo, confab-device). */
typedef struct {
  gboolean    geo_known;     /* FALSE: the location fields are left as they were */
  const char *country;
  const char *country_name;
  const char *city;
  const char *geo_timezone;
  gboolean    device_known;  /* FALSE: the device fields are left as they were */
  const char *browser;
  const char *browser_version;
  const char *os;
  const char *os_version;
  const char *device_type;
  const char *ip_hash;       /* keyed hash of the address (confab_relay_hash_ip); NULL keeps it */
} ConfabVisitorContext;

/* What a visitor's hello (or a later page change) tells about them; NULL fields are kept as they are. */
typedef struct {
  const char *locale;
  const char *timezone;
  const char *browser;
  const char *os;
  const char *country;
  const char *city;
  const char *fingerprint;
  const char *name;
  const char *email;
} ConfabVisitorInfo;

typedef struct {
  char   *url;
  char   *title;
  gint64  at;                /* when the page was opened */
  gint64  left_at;           /* when the next page was opened or the visitor left; 0 = still there */
} ConfabPageView;

/* The response-time target running in a conversation (confab-store-targets.h). */
typedef enum {
  CONFAB_TARGET_NONE,
  CONFAB_TARGET_FIRST_RESPONSE,
  CONFAB_TARGET_NEXT_RESPONSE,
} ConfabTargetKind;

typedef enum {
  CONFAB_TARGET_OK,
  CONFAB_TARGET_NEAR,     /* 80 % of its time has gone */
  CONFAB_TARGET_MISSED,
} ConfabTargetState;

typedef struct {
  char                     *id;
  char                     *site_id;
  char                     *visitor_id;
  ConfabConversationStatus  status;
  char                     *assignee_id;     /* user id or NULL */
  gint64                    created_at;
  gint64                    last_message_at;
  gint64                    last_seq;
  gint64                    agent_read_seq;  /* highest seq the team has read */
  gint64                    visitor_read_seq;
  gint64                    unread;          /* visitor messages after agent_read_seq */
  gint64                    first_agent_reply_at; /* ms of the first agent message; 0: none yet */
  char                     *channel;         /* as the visitor's; NULL means "web" */
  gint64                    reply_window_ends_at; /* WhatsApp: when agents may no longer answer
                                                   * freely (ms); 0 for other channels */
  ConfabTargetKind          target_kind;     /* the response-time target running, or NONE */
  gint64                    target_due_at;   /* ms */
  ConfabTargetState         target_state;    /* as last announced (confab-targets.c) */
  /* a new string member is freed in confab_conversation_free () and copied in
   * confab_conversation_copy () */
} ConfabConversation;

typedef struct {
  char             *conversation_id;
  gint64            seq;
  gint64            cursor;
  char             *client_id;     /* NULL for messages the relay wrote itself (bot, system), but
                                    * for the bot's "nobody available" notice (confab-objects.h) */
  ConfabSenderType  sender_type;
  char             *sender_id;     /* visitor id or user id; the FAQ's id for a bot's FAQ answer; NULL for system */
  char             *sender_name;
  char             *body;          /* may be NULL when attachment_id is set */
  char             *attachment_id;
  struct _ConfabUpload *attachment; /* attachment_id's upload, when it is one (confab-uploads.c) */
  gint64            created_at;
  char             *delivery_status; /* an agent's message in another channel than the web:
                                      * "pending", "sent", "delivered", "read", "failed"; else NULL */
  char             *delivery_error;  /* the platform's words when it failed */
  char             *assistant_json;  /* an assistant's answer: {"stream_id","sources","actions"}; else NULL */
  gint              vote;            /* a bot's answer: the visitor's "Was this helpful?", 1 yes,
                                      * -1 no, 0 not voted (read with the message, never written) */
} ConfabMessage;

/* A message to append. Either conversation_id is set, or site_id + visitor_id: then the
 * visitor's current conversation is used (reopened when resolved), or a new one created when
 * there is none (or it is closed). */
typedef struct {
  const char       *conversation_id;
  const char       *site_id;
  const char       *visitor_id;
  const char       *client_id;
  ConfabSenderType  sender_type;
  const char       *sender_id;
  const char       *sender_name;
  const char       *body;
  const char       *attachment_id;
  /* Not stored: a WhatsApp template an agent chose for a reply outside the 24-hour window
   * (relay/meta/), or NULL. */
  const char       *template_name;
  const char       *template_language;
  /* an assistant's answer: its JSON object (confab-assistant.c); NULL for any other message */
  const char       *assistant_json;
  /* An API key's message (issue 18): an agent's message for everyone who reads it, but no
   * person answered: it neither ends a response-time target nor counts as the first reply. */
  gboolean          automated;
  /* The conversation @conversation_id as the caller read it in the same transaction (the hub's
   * writer looks up the visitor's current conversation first), or NULL: the store then reads it
   * itself. Saves reading the row twice per message (issue 12); ignored unless its id is
   * @conversation_id, and by the PostgreSQL store (whose writer sends batches instead). */
  const ConfabConversation *conversation;
} ConfabMessageDraft;

typedef enum {
  CONFAB_APPEND_NEW,          /* stored now */
  CONFAB_APPEND_DUPLICATE,    /* same sender + client_id + content was stored before: *out is that one */
} ConfabAppendResult;

/* Event kinds in the relay-wide log that agents resume from by cursor. */
#define CONFAB_EVENT_MESSAGE      "message"
#define CONFAB_EVENT_CONVERSATION "conversation"
#define CONFAB_EVENT_VISITOR      "visitor"
#define CONFAB_EVENT_RATING       "rating"
#define CONFAB_EVENT_TIMELINE     "timeline"        /* of a conversation (confab-hub-unseen.c) */
#define CONFAB_EVENT_OFFLINE      "offline_message" /* new or changed */
#define CONFAB_EVENT_NOTE         "note"            /* an internal note (confab-hub-notes.c) */

typedef struct {
  gint64         cursor;
  char          *site_id;
  char          *kind;            /* CONFAB_EVENT_* */
  char          *payload_json;    /* the frame without "cursor" (NULL for messages) */
  ConfabMessage *message;         /* set for CONFAB_EVENT_MESSAGE */
  gint64         created_at;
} ConfabEvent;

void confab_user_free         (ConfabUser         *user);
void confab_site_free         (ConfabSite         *site);
void confab_visitor_free      (ConfabVisitor      *visitor);
void confab_page_view_free    (ConfabPageView     *view);
void confab_conversation_free (ConfabConversation *conversation);
ConfabConversation *confab_conversation_copy (const ConfabConversation *conversation);
void confab_message_free      (ConfabMessage      *message);
void confab_event_free        (ConfabEvent        *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabUser, confab_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabSite, confab_site_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabVisitor, confab_visitor_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabPageView, confab_page_view_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabConversation, confab_conversation_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabMessage, confab_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabEvent, confab_event_free)

typedef struct _ConfabStore ConfabStore;

/* Opens (creating if needed) the database at @path and migrates it to the current schema. */
ConfabStore *confab_store_open            (const char      *path,
                                           ConfabStoreSync  sync,
                                           GError         **error);
void         confab_store_close           (ConfabStore     *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStore, confab_store_close)

int          confab_store_schema_version  (ConfabStore     *store);

/* How long a statement waits for another process's write lock. confab_store_open() waits up to
 * 5 s (right for the admin CLI and for starting up); the relay's main loop sets a few ms and
 * retries from the loop instead of blocking it (see confab-hub-delivery.c). */
void         confab_store_set_busy_timeout (ConfabStore    *store,
                                           int              ms);
/* SQLite's WAL, for the relay's checkpointer thread (confab-hub-writer.c, issue 12): after each
 * commit of this connection @func hears how many frames the WAL holds, on the committing
 * thread, and the connection no longer checkpoints by itself (no-op on other backends); a NULL
 * @func gives it back its own checkpoints. */
typedef void (*ConfabStoreWalFunc) (gpointer user_data,
                                    int      wal_frames);
void         confab_store_watch_wal       (ConfabStore        *store,
                                           ConfabStoreWalFunc  func,
                                           gpointer            user_data);
/* A PASSIVE checkpoint: copies what it can of the WAL into the database without waiting for
 * anyone (TRUE on other backends). */
gboolean     confab_store_checkpoint      (ConfabStore     *store,
                                           GError         **error);
/* PRAGMA quick_check: FALSE with CONFAB_STORE_ERROR_CORRUPT naming the file and the first
 * problems found. It reads every page once: 0.5 s of CPU for 65 MB, 14 s for 650 MB on a busy
 * 2-core machine (bench/quick-check.sh); after @max_ms it stops, warns that the rest is
 * unchecked, and returns TRUE. */
/* A consistent copy of the whole database as of one commit, written to @path (replaced whole,
 * never half-written) while relays keep running: `confab-relay admin backup`. */
gboolean     confab_store_backup          (ConfabStore     *store,
                                           const char      *path,
                                           GError         **error);
gboolean     confab_store_quick_check     (ConfabStore     *store,
                                           guint            max_ms,
                                           GError         **error);
/* Whether writes work right now, without waiting: FALSE with BUSY when another process holds the
 * write lock, or with the error of the last failed commit until a commit succeeds again. Never
 * blocks; for /healthz. */
gboolean     confab_store_check_writable  (ConfabStore     *store,
                                           GError         **error);
/* Rows changed by this connection so far (rolled back ones included): did a call write? */
gint64       confab_store_total_changes   (ConfabStore     *store);
/* BUSY, FULL or UNAVAILABLE: a condition outside the relay that passes; the client may retry. */
gboolean     confab_store_error_is_transient (const GError *error);
/* The schema version this build migrates to. */
int          confab_store_current_schema_version (void);

gboolean     confab_store_begin           (ConfabStore     *store,
                                           GError         **error);
gboolean     confab_store_commit          (ConfabStore     *store,
                                           GError         **error);
void         confab_store_rollback        (ConfabStore     *store);

/* --- users and tokens --- */
ConfabUser  *confab_store_create_user     (ConfabStore     *store,
                                           const char      *email,
                                           const char      *name,
                                           const char      *password_hash,
                                           GError         **error);     /* EXISTS: e-mail taken (case-insensitive) */
ConfabUser  *confab_store_get_user        (ConfabStore     *store,
                                           const char      *user_id,
                                           GError         **error);     /* NOT_FOUND */
ConfabUser  *confab_store_get_user_by_email (ConfabStore   *store,
                                           const char      *email,
                                           GError         **error);     /* NOT_FOUND; case-insensitive */
gboolean     confab_store_add_token       (ConfabStore     *store,
                                           const char      *token_hash,
                                           const char      *user_id,
                                           gint64           expires_at,
                                           GError         **error);
/* The user id of a token that exists, is not revoked and has not expired at @now; else NOT_FOUND. */
char        *confab_store_lookup_token    (ConfabStore     *store,
                                           const char      *token_hash,
                                           gint64           now,
                                           GError         **error);
gboolean     confab_store_revoke_token    (ConfabStore     *store,
                                           const char      *token_hash,
                                           GError         **error);

/* --- sites and memberships --- */
/* New site with a new id and site key; @owner_id becomes its owner. @domains may be NULL. */
ConfabSite  *confab_store_create_site     (ConfabStore     *store,
                                           const char      *owner_id,
                                           const char      *name,
                                           const char * const *domains,
                                           GError         **error);
ConfabSite  *confab_store_get_site        (ConfabStore     *store,
                                           const char      *site_id,
                                           GError         **error);     /* NOT_FOUND */
ConfabSite  *confab_store_get_site_by_key (ConfabStore     *store,
                                           const char      *site_key,
                                           GError         **error);     /* NOT_FOUND */
/* Sites the user belongs to, oldest first, each with ->role set. Element type: ConfabSite*. */
GPtrArray   *confab_store_list_sites_for_user (ConfabStore *store,
                                           const char      *user_id,
                                           GError         **error);
/* Changes what is non-NULL (@enabled: -1 keeps it). */
ConfabSite  *confab_store_update_site     (ConfabStore     *store,
                                           const char      *site_id,
                                           const char      *name,
                                           const char * const *domains,
                                           const char      *settings_json,
                                           int              enabled,
                                           GError         **error);
ConfabRole   confab_store_get_role        (ConfabStore     *store,
                                           const char      *site_id,
                                           const char      *user_id);   /* NONE when not a member */
gboolean     confab_store_set_member      (ConfabStore     *store,
                                           const char      *site_id,
                                           const char      *user_id,
                                           ConfabRole       role,        /* NONE removes */
                                           GError         **error);

/* --- visitors and their journey --- */
ConfabVisitor *confab_store_create_visitor (ConfabStore    *store,
                                           const char      *site_id,
                                           const char      *token_hash,
                                           const ConfabVisitorInfo *info,
                                           GError         **error);
ConfabVisitor *confab_store_get_visitor   (ConfabStore     *store,
                                           const char      *visitor_id,
                                           GError         **error);     /* NOT_FOUND */
/* Records a new visit (visits + 1 when @new_visit), last_seen = now, and the non-NULL info. */
ConfabVisitor *confab_store_touch_visitor (ConfabStore     *store,
                                           const char      *visitor_id,
                                           const ConfabVisitorInfo *info,
                                           gboolean         new_visit,
                                           GError         **error);
/* Opens a page view at @at and closes the visitor's previous open one (left_at = @at). */
gboolean     confab_store_add_page_view   (ConfabStore     *store,
                                           const char      *visitor_id,
                                           const char      *url,
                                           const char      *title,
                                           gint64           at,
                                           GError         **error);
/* The visitor left: closes the open page view. */
gboolean     confab_store_close_page_views (ConfabStore    *store,
                                           const char      *visitor_id,
                                           gint64           at,
                                           GError         **error);
/* Appends a CONFAB_EVENT_VISITOR event (the visitor's whole state as agents see it) and
 * deletes that visitor's earlier ones, which it supersedes: the log keeps one per visitor,
 * so that an agent subscribing replays visitors' latest states, not their history. Returns
 * the new cursor (> 0), or 0 with @error set. */
gint64       confab_store_add_visitor_event (ConfabStore   *store,
                                           const char      *site_id,
                                           const char      *visitor_id,
                                           const char      *payload_json,
                                           GError         **error);
/* Appends a "rating" event of @conversation_id and deletes the conversation's earlier ones,
 * which it supersedes (a conversation has one rating; rating again replaces it). */
gint64       confab_store_add_rating_event (ConfabStore    *store,
                                           const char      *site_id,
                                           const char      *conversation_id,
                                           const char      *payload_json,
                                           GError         **error);
/* The last @limit page views of the visitor and of every visitor linked with them (one
 * person's journey across cleared storage), oldest first. Element type: ConfabPageView*. */
GPtrArray   *confab_store_list_page_views (ConfabStore     *store,
                                           const char      *visitor_id,
                                           guint            limit,
                                           GError         **error);
/* Records when the visitor accepted the site's consent text (ms since 1970). NOT_FOUND. */
gboolean     confab_store_set_visitor_consent (ConfabStore *store,
                                           const char      *visitor_id,
                                           gint64           at,
                                           GError         **error);
/* When the visitor consented (ms), 0 when never, -1 on error. */
gint64       confab_store_get_visitor_consent (ConfabStore *store,
                                           const char      *visitor_id,
                                           GError         **error);
/* Sets the location fields (when @context->geo_known) and the device fields (when
 * ->device_known), each group as a whole: a city from an old address never sticks to a new one. */
gboolean     confab_store_set_visitor_context (ConfabStore *store,
                                           const char      *visitor_id,
                                           const ConfabVisitorContext *context,
                                           GError         **error);
/* The visitor of @site_id last seen with @fingerprint, or NULL (no error) when none. */
ConfabVisitor *confab_store_find_visitor_by_fingerprint (ConfabStore *store,
                                           const char      *site_id,
                                           const char      *fingerprint,
                                           GError         **error);
/* Makes the new visitor @visitor_id the continuation of @previous_id (same site): linked_to the
 * first of @previous_id's chain, its first_seen, its visits + 1. Nothing else is copied (no name,
 * no e-mail, no conversation): see visitor_hello() in confab-hub.c for why. */
ConfabVisitor *confab_store_link_visitor  (ConfabStore     *store,
                                           const char      *visitor_id,
                                           const char      *previous_id,
                                           GError         **error);
/* The conversations of the visitor and of every visitor linked with them, newest first.
 * Element type: ConfabConversation*. */
GPtrArray   *confab_store_list_visitor_conversations (ConfabStore *store,
                                           const char      *visitor_id,
                                           guint            limit,
                                           GError         **error);

/* --- conversations and messages --- */
ConfabConversation *confab_store_get_conversation (ConfabStore *store,
                                           const char      *conversation_id,
                                           GError         **error);     /* NOT_FOUND */
/* The visitor's latest conversation that is not closed, or NULL (no error) when none. */
ConfabConversation *confab_store_get_current_conversation (ConfabStore *store,
                                           const char      *visitor_id,
                                           GError         **error);
/* A new open conversation of @visitor_id (who must be a visitor of @site_id, else NOT_FOUND). */
ConfabConversation *confab_store_create_conversation (ConfabStore *store,
                                           const char      *site_id,
                                           const char      *visitor_id,
                                           GError         **error);
/* Newest activity first. @status NULL = all; @before_ms 0 = from the newest; only
 * conversations with last_message_at < @before_ms otherwise. Element type: ConfabConversation*. */
GPtrArray   *confab_store_list_conversations (ConfabStore  *store,
                                           const char      *site_id,
                                           const ConfabConversationStatus *status,
                                           gint64           before_ms,
                                           guint            limit,
                                           GError         **error);
ConfabConversation *confab_store_set_status (ConfabStore   *store,
                                           const char      *conversation_id,
                                           ConfabConversationStatus status,
                                           GError         **error);
/* @assignee_id NULL unassigns. */
ConfabConversation *confab_store_set_assignee (ConfabStore *store,
                                           const char      *conversation_id,
                                           const char      *assignee_id,
                                           GError         **error);
/* Raises (never lowers) the read mark of one side. */
ConfabConversation *confab_store_mark_read (ConfabStore    *store,
                                           const char      *conversation_id,
                                           ConfabSenderType reader,      /* VISITOR or AGENT */
                                           gint64           seq,
                                           GError         **error);

/* Persists a message: next seq in its conversation, a new cursor in the event log, the
 * conversation's last_seq/last_message_at. A (sender_type, sender_id, client_id) seen before with
 * the same body and attachment returns the stored message and CONFAB_APPEND_DUPLICATE; with other
 * content it fails with CONFLICT. When a conversation was created (or reopened from resolved) for
 * it, *out_conversation_changed is TRUE. *out_conversation is the conversation after the append. */
gboolean     confab_store_append_message  (ConfabStore     *store,
                                           const ConfabMessageDraft *draft,
                                           ConfabMessage  **out_message,
                                           ConfabConversation **out_conversation,
                                           gboolean        *out_conversation_changed,
                                           ConfabAppendResult *out_result,
                                           GError         **error);
/* The message that @sender_type / @sender_id sent with @client_id (the key append_message
 * deduplicates on), or NULL with no error when there is none. */
ConfabMessage *confab_store_find_message  (ConfabStore     *store,
                                           ConfabSenderType sender_type,
                                           const char      *sender_id,
                                           const char      *client_id,
                                           GError         **error);
/* Ascending by seq, seq > @after_seq, at most @limit. Element type: ConfabMessage*. */
GPtrArray   *confab_store_list_messages   (ConfabStore     *store,
                                           const char      *conversation_id,
                                           gint64           after_seq,
                                           guint            limit,
                                           GError         **error);

/* --- the event log agents resume from --- */
/* Appends a non-message event; returns its cursor (> 0) or 0 with @error set. */
gint64       confab_store_add_event       (ConfabStore     *store,
                                           const char      *site_id,
                                           const char      *kind,
                                           const char      *conversation_id,
                                           const char      *payload_json,
                                           GError         **error);
/* Events of the given sites with cursor > @after_cursor, ascending, at most @limit.
 * Message events come with ->message filled in. Element type: ConfabEvent*. */
GPtrArray   *confab_store_list_events     (ConfabStore     *store,
                                           const char * const *site_ids,
                                           gint64           after_cursor,
                                           guint            limit,
                                           GError         **error);
gint64       confab_store_last_cursor     (ConfabStore     *store);
/* Forgets the cached site rows: another process (a relay beside this one) changed a site, which
 * this connection's own change tracking cannot see. */
void         confab_store_forget_cached_sites (ConfabStore *store);

/* --- ratings, offline messages, audit --- */
/* One rating per conversation; rating again replaces it. @comment may be NULL. */
gboolean     confab_store_set_rating      (ConfabStore     *store,
                                           const char      *conversation_id,
                                           int              score,
                                           const char      *comment,
                                           GError         **error);
/* Returns FALSE with NOT_FOUND when there is no rating. */
gboolean     confab_store_get_rating      (ConfabStore     *store,
                                           const char      *conversation_id,
                                           int             *out_score,
                                           char           **out_comment,
                                           GError         **error);
/* Returns the new offline message's id. */
char        *confab_store_add_offline_message (ConfabStore *store,
                                           const char      *site_id,
                                           const char      *visitor_id,
                                           const char      *name,
                                           const char      *email,
                                           const char      *body,
                                           GError         **error);
/* Element type: GHashTable* (string → string: id, visitor_id, name, email, body, created_at). */
GPtrArray   *confab_store_list_offline_messages (ConfabStore *store,
                                           const char      *site_id,
                                           GError         **error);

/* --- what visitors send that agents must see (confab-store-unseen.c) --- */
typedef struct {
  char    *id;
  char    *site_id;
  char    *visitor_id;       /* NULL once the visitor was deleted */
  char    *name;
  char    *email;
  char    *body;
  char    *page_url;         /* the page the visitor was last on, when known */
  char    *page_title;
  gint64   created_at;
  gboolean handled;
  char    *handled_by;       /* user id, NULL when open (or the user was deleted) */
  char    *handled_by_name;
  gint64   handled_at;       /* 0 when open */
  char    *conversation_id;  /* the conversation made of it, or NULL */
} ConfabOfflineMessage;

void confab_offline_message_free (ConfabOfflineMessage *offline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabOfflineMessage, confab_offline_message_free)

ConfabOfflineMessage *confab_store_get_offline_message (ConfabStore *store,
                                           const char      *offline_id,
                                           GError         **error);     /* NOT_FOUND */
/* The site's offline messages with @status ("open", "handled"; NULL = all), newest first,
 * older than @before_id when that is set. Element type: ConfabOfflineMessage*. */
GPtrArray   *confab_store_list_offline_messages_page (ConfabStore *store,
                                           const char      *site_id,
                                           const char      *status,
                                           const char      *before_id,
                                           guint            limit,
                                           GError         **error);
/* -1 on error. */
gint64       confab_store_count_open_offline_messages (ConfabStore *store,
                                           const char      *site_id,
                                           GError         **error);
/* Handled (by @user_id, now, unless it was already) or open again; returns the new state. NOT_FOUND. */
ConfabOfflineMessage *confab_store_set_offline_message_status (ConfabStore *store,
                                           const char      *offline_id,
                                           gboolean         handled,
                                           const char      *user_id,
                                           GError         **error);
gboolean     confab_store_set_offline_message_conversation (ConfabStore *store,
                                           const char      *offline_id,
                                           const char      *conversation_id,
                                           GError         **error);
/* *@out_found FALSE (and TRUE returned) when the conversation has no rating. */
gboolean     confab_store_get_conversation_rating (ConfabStore *store,
                                           const char      *conversation_id,
                                           gboolean        *out_found,
                                           int             *out_score,
                                           char           **out_comment,
                                           gint64          *out_rated_at,
                                           GError         **error);
/* The conversation's CONFAB_EVENT_TIMELINE events, oldest first. Element type: ConfabEvent*. */
GPtrArray   *confab_store_list_timeline   (ConfabStore     *store,
                                           const char      *conversation_id,
                                           GError         **error);

/* @user_id, @site_id, @detail_json, @ip_hash may be NULL. */
gboolean     confab_store_audit           (ConfabStore     *store,
                                           const char      *user_id,
                                           const char      *site_id,
                                           const char      *action,
                                           const char      *detail_json,
                                           const char      *ip_hash,
                                           GError         **error);
/* Element type: GHashTable* (string → string: at, user_id, site_id, action, detail, ip_hash). */
GPtrArray   *confab_store_list_audit      (ConfabStore     *store,
                                           const char      *site_id,
                                           guint            limit,
                                           GError         **error);

/* --- FAQs, the bot's knowledge (confab-faq.c) --- */
typedef struct {
  char    *id;
  char    *site_id;
  char    *question;
  char    *answer;
  char   **keywords;         /* never NULL */
  char   **synonyms;         /* words and phrases visitors use for it; NULL or empty: none */
  gint64   views;            /* times the bot answered with it */
  gint64   helpful;          /* visitors' votes, one per conversation */
  gint64   not_helpful;
  gint64   created_at;
  gint64   updated_at;
} ConfabFaq;

void confab_faq_free (ConfabFaq *faq);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabFaq, confab_faq_free)

ConfabFaq   *confab_store_create_faq      (ConfabStore     *store,
                                           const char      *site_id,
                                           const char      *question,
                                           const char      *answer,
                                           const char * const *keywords,
                                           GError         **error);
ConfabFaq   *confab_store_get_faq         (ConfabStore     *store,
                                           const char      *faq_id,
                                           GError         **error);     /* NOT_FOUND */
/* Oldest first. Element type: ConfabFaq*. */
GPtrArray   *confab_store_list_faqs       (ConfabStore     *store,
                                           const char      *site_id,
                                           GError         **error);
/* Changes what is non-NULL. */
ConfabFaq   *confab_store_update_faq      (ConfabStore     *store,
                                           const char      *faq_id,
                                           const char      *question,
                                           const char      *answer,
                                           const char * const *keywords,
                                           GError         **error);     /* NOT_FOUND */
/* Replaces the FAQ's synonyms (NULL or empty: none). */
gboolean     confab_store_set_faq_synonyms (ConfabStore    *store,
                                           const char      *faq_id,
                                           const char * const *synonyms,
                                           GError         **error);     /* NOT_FOUND */
gboolean     confab_store_delete_faq      (ConfabStore     *store,
                                           const char      *faq_id,
                                           GError         **error);     /* NOT_FOUND */
/* The site's FAQs matching the FTS5 query @match (built by the caller from quoted terms only),
 * best bm25 first, question and keywords weighted above the answer. Element type: ConfabFaq*. */
GPtrArray   *confab_store_search_faqs     (ConfabStore     *store,
                                           const char      *site_id,
                                           const char      *match,
                                           guint            limit,
                                           GError         **error);
gboolean     confab_store_count_faq_view  (ConfabStore     *store,
                                           const char      *faq_id,
                                           GError         **error);
/* Whether the bot may still speak in a conversation: its site has FAQs, no agent wrote in it,
 * nobody is assigned, and the visitor has not asked for a person. Index lookups only. */
gboolean     confab_store_bot_may_answer  (ConfabStore     *store,
                                           const char      *conversation_id,
                                           gboolean        *out_may_answer,
                                           GError         **error);
/* Whether the bot answered with @faq_id in the conversation. */
gboolean     confab_store_faq_answered_in (ConfabStore     *store,
                                           const char      *conversation_id,
                                           const char      *faq_id,
                                           gboolean        *out_answered,
                                           GError         **error);
/* One vote per conversation and FAQ; voting again replaces it. NOT_FOUND: no such FAQ. */
gboolean     confab_store_set_faq_feedback (ConfabStore    *store,
                                           const char      *conversation_id,
                                           const char      *faq_id,
                                           gboolean         helpful,
                                           GError         **error);
/* Records that the visitor asked for a person; *out_new is FALSE when they had already. */
gboolean     confab_store_request_human   (ConfabStore     *store,
                                           const char      *conversation_id,
                                           gboolean        *out_new,
                                           GError         **error);

/* --- canned responses --- */
typedef struct {
  char   *id;
  char   *site_id;
  char   *shortcut;
  char   *body;
  gint64  created_at;
  gint64  updated_at;
} ConfabCanned;

void confab_canned_free (ConfabCanned *canned);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabCanned, confab_canned_free)

ConfabCanned *confab_store_create_canned  (ConfabStore     *store,
                                           const char      *site_id,
                                           const char      *shortcut,
                                           const char      *body,
                                           GError         **error);     /* EXISTS: shortcut taken */
ConfabCanned *confab_store_get_canned     (ConfabStore     *store,
                                           const char      *canned_id,
                                           GError         **error);     /* NOT_FOUND */
/* By shortcut. Element type: ConfabCanned*. */
GPtrArray    *confab_store_list_canned    (ConfabStore     *store,
                                           const char      *site_id,
                                           GError         **error);
/* Changes what is non-NULL. EXISTS: shortcut taken; NOT_FOUND. */
ConfabCanned *confab_store_update_canned  (ConfabStore     *store,
                                           const char      *canned_id,
                                           const char      *shortcut,
                                           const char      *body,
                                           GError         **error);
gboolean      confab_store_delete_canned  (ConfabStore     *store,
                                           const char      *canned_id,
                                           GError         **error);     /* NOT_FOUND */

/* --- members of a site --- */
typedef struct {
  char       *user_id;
  char       *email;
  char       *name;
  ConfabRole  role;
  gint64      since;
  gboolean    pending;   /* no password yet: invited, or reset, and the setup code not used */
} ConfabMember;

void confab_member_free (ConfabMember *member);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabMember, confab_member_free)

/* Owners first, then admins, then agents. Element type: ConfabMember*. */
GPtrArray   *confab_store_list_members    (ConfabStore     *store,
                                           const char      *site_id,
                                           GError         **error);
/* Sets (NONE: removes) @user_id's role, atomically checking that the site keeps an owner:
 * CONFLICT when it would not. */
gboolean     confab_store_change_member   (ConfabStore     *store,
                                           const char      *site_id,
                                           const char      *user_id,
                                           ConfabRole       role,
                                           GError         **error);

/* --- image uploads (confab-uploads.c) --- */
typedef struct _ConfabUpload {
  char   *id;
  char   *site_id;
  char   *conversation_id;   /* NULL: a visitor's upload before their first message claims it */
  char   *visitor_id;        /* the visitor who uploaded it, or NULL */
  char   *user_id;           /* the agent who uploaded it, or NULL */
  char   *sha256;            /* hex SHA-256 of the stored (re-encoded) image: its file name */
  char   *mime;              /* of the image and of its thumbnail */
  gint64  width;
  gint64  height;
  gint64  size;              /* bytes of the stored image */
  gint64  thumb_width;
  gint64  thumb_height;
  gint64  thumb_size;
  gint64  created_at;
  char   *kind;              /* "image" (re-encoded, with a thumbnail) or "file" (stored as sent,
                              * no thumbnail, width and height 0): issue 14 */
  char   *name;              /* the file name the uploader gave, or NULL */
} ConfabUpload;

void confab_upload_free (ConfabUpload *upload);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabUpload, confab_upload_free)

/* Stores the row as it is (the caller made the id). NOT_FOUND when the site, conversation,
 * visitor or user does not exist. */
gboolean      confab_store_add_upload     (ConfabStore     *store,
                                           const ConfabUpload *upload,
                                           GError         **error);
ConfabUpload *confab_store_get_upload     (ConfabStore     *store,
                                           const char      *upload_id,
                                           GError         **error);     /* NOT_FOUND */
/* Whether any upload row still names the file @sha256. */
gboolean      confab_store_upload_file_used (ConfabStore   *store,
                                           const char      *sha256);

/* The upload's bytes in the database, so that every relay of a PostgreSQL store serves every
 * upload (issue 13; relay/media/confab-uploads.c uses them unless [uploads] dir= names a shared
 * directory). SQLite keeps them as files in <data-dir>/uploads: there can_hold_upload_bytes is
 * FALSE and the other three fail. */
gboolean      confab_store_can_hold_upload_bytes (ConfabStore *store);
/* Stores the image (or file) and its thumbnail (NULL for a file) under @sha256, once: bytes
 * already there stay as they are. */
gboolean      confab_store_put_upload_bytes (ConfabStore   *store,
                                           const char      *sha256,
                                           GBytes          *data,
                                           GBytes          *thumb,
                                           GError         **error);
/* The image or its thumbnail; NOT_FOUND when the database has none. */
GBytes       *confab_store_get_upload_bytes (ConfabStore   *store,
                                           const char      *sha256,
                                           gboolean         thumb,
                                           GError         **error);
/* Removes them (once no upload row names @sha256: the caller checks). */
gboolean      confab_store_delete_upload_bytes (ConfabStore *store,
                                           const char      *sha256,
                                           GError         **error);
/* Lets a message in @conversation_id carry @upload_id: TRUE when the upload already belongs to
 * that conversation, or when it belongs to nobody's conversation yet, was uploaded by
 * @visitor_id (the sender; NULL for agents) and to the conversation's site — then it is tied
 * to the conversation from now on. Else NOT_FOUND, the same for unknown and foreign ids. */
gboolean      confab_store_claim_upload   (ConfabStore     *store,
                                           const char      *upload_id,
                                           const char      *conversation_id,
                                           const char      *visitor_id,
                                           GError         **error);
/* The visitor whose token has the SHA-256 @token_hash; NOT_FOUND when none. */
ConfabVisitor *confab_store_get_visitor_by_token (ConfabStore *store,
                                           const char      *token_hash,
                                           GError         **error);

G_END_DECLS
