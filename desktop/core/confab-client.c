/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-client"

#include "confab-cache-private.h"
#include "confab-client-admin.h"
#include "confab-client-avatars.h"
#include "confab-client-channels.h"
#include "confab-client-private.h"
#include "confab-client-routing.h"
#include "confab-json.h"

#ifdef __GLIBC__
#include <glib/gstdio.h>
#include <malloc.h>
#endif

#define BACKOFF_BASE_MS     1000
/* A relay back after a restart or an outage is found within this (4–8 s with the jitter);
 * 30 s kept agents waiting ~24 s for a relay that was long back. */
#define BACKOFF_CAP_MS      8000
#define PROBE_MS            5000   /* after a network change, a ping must be answered this soon */
#define APPLY_SLICE_US      8000   /* frames applied per main-loop turn: at most this long */
#define FRAME_WAIT_MS       100    /* a paced slice waits no longer for a frame than this */
#define HELD_SLICES         7      /* slices of a catch-up the lists stay behind for, at most */
#define TRIM_AFTER_FRAMES   1000   /* a backlog this long leaves the heap full of holes */
#define KEEPALIVE_S         20     /* a ping this often... */
#define DEAD_AFTER_S        50     /* ...and a connection silent this long is dead */
#define MAX_FRAME_BYTES     (4 * 1024 * 1024)
#define MAX_FRAME_DEPTH     32
#define CLOSE_TOKEN_REVOKED 4001

G_DEFINE_FINAL_TYPE (ConfabClient, confab_client, G_TYPE_OBJECT)
G_DEFINE_QUARK (confab-client-error-quark, confab_client_error)

G_DEFINE_ENUM_TYPE (ConfabClientState, confab_client_state,
  G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_SIGNED_OUT, "signed-out"),
  G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_OFFLINE, "offline"),
  G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_SYNCING, "syncing"),
  G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_ONLINE, "online"))

enum {
  PROP_0,
  PROP_CACHE,
  PROP_RELAY_URL,
  PROP_TOKEN,
  PROP_USER_ID,
  PROP_USER_NAME,
  PROP_STATE,
  PROP_PRESENCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_MESSAGE,
  SIGNAL_CONVERSATION,
  SIGNAL_VISITOR,
  SIGNAL_TYPING_PREVIEW,
  SIGNAL_PRESENCE_CHANGED,
  SIGNAL_READ,
  SIGNAL_OFFLINE_MESSAGE,
  SIGNAL_RATING,
  SIGNAL_TIMELINE,
  SIGNAL_SITE_UPDATED,
  SIGNAL_CANNED_CHANGED,
  SIGNAL_FAQS_CHANGED,
  SIGNAL_MEMBERS_CHANGED,
  SIGNAL_RELAY_ERROR,
  SIGNAL_SYNCED,
  SIGNAL_SIGNED_OUT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void connect_now (ConfabClient *self);

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
set_state (ConfabClient     *self,
           ConfabClientState state)
{
  if (self->state == state)
    return;
  g_debug ("state %d → %d", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static char *
api_url (ConfabClient *self,
         const char   *path)
{
  const char *base = self->relay_url;
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s%s", (int) len, base, path);
}

static SoupMessage *
api_message (ConfabClient *self,
             const char   *method,
             const char   *path)
{
  g_autofree char *url = api_url (self, path);
  SoupMessage *msg = soup_message_new (method, url);

  if (msg != NULL && self->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  return msg;
}

/* The relay's {"error":{"code","message"}} as a GError. */
static void
set_http_error (GError     **error,
                SoupMessage *msg,
                GBytes      *body)
{
  g_autoptr (JsonObject) object = NULL;
  JsonObject *inner = NULL;
  const char *message = NULL, *code = NULL;
  guint status = soup_message_get_status (msg);

  if (body != NULL)
    object = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                       64 * 1024, 8, NULL);
  if (object != NULL && confab_json_get_object (object, "error", FALSE, &inner, NULL) && inner)
    {
      confab_json_get_string (inner, "message", FALSE, &message, NULL);
      confab_json_get_string (inner, "code", FALSE, &code, NULL);
    }

  if (status == SOUP_STATUS_UNAUTHORIZED && g_strcmp0 (code, "invalid_credentials") == 0)
    g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID_CREDENTIALS,
                 "%s", message ? message : "Wrong email or password");
  else if (status == SOUP_STATUS_UNAUTHORIZED)
    g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_UNAUTHORIZED,
                 "The session has ended; sign in again");
  else
    g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                 "The relay answered %u: %s", status, message ? message : soup_status_get_phrase (status));
}

/* --- sign in / sign out --- */

static void
sign_in_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  ConfabClient *self = g_task_get_source_object (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) object = NULL;
  JsonObject *user = NULL;
  const char *token = NULL, *id = NULL, *name = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      set_http_error (&error, msg, body);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  object = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                     1024 * 1024, 16, &error);
  if (object == NULL ||
      !confab_json_get_string (object, "token", TRUE, &token, &error) ||
      !confab_json_get_object (object, "user", TRUE, &user, &error) ||
      !confab_json_get_string (user, "id", TRUE, &id, &error) ||
      !confab_json_get_string (user, "name", FALSE, &name, &error))
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                               "The relay's sign-in answer is not understood: %s", error->message);
      return;
    }

  confab_client_set_token (self, token);
  if (set_str (&self->user_id, id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_ID]);
  if (set_str (&self->user_name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_NAME]);
  confab_cache_set_meta (self->cache, "relay_url", self->relay_url, NULL);
  confab_cache_set_meta (self->cache, "email", g_task_get_task_data (task), NULL);
  confab_cache_set_meta (self->cache, "user_id", id, NULL);
  confab_cache_set_meta (self->cache, "user_name", name, NULL);
  if (self->state == CONFAB_CLIENT_SIGNED_OUT)
    set_state (self, CONFAB_CLIENT_OFFLINE);

  g_task_return_boolean (task, TRUE);
}

void
confab_client_sign_in_async (ConfabClient        *self,
                             const char          *email,
                             const char          *password,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (JsonObject) request = json_object_new ();
  g_autoptr (GBytes) body = NULL;
  char *text;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (email != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_sign_in_async);
  g_task_set_task_data (task, g_strdup (email), g_free);

  msg = api_message (self, "POST", "/api/v1/auth/login");
  if (msg == NULL)
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                               "“%s” is not a relay address", self->relay_url);
      return;
    }
  json_object_set_string_member (request, "email", email);
  json_object_set_string_member (request, "password", password);
  text = confab_json_object_to_string (request);
  body = g_bytes_new_take (text, strlen (text));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    sign_in_cb, g_steal_pointer (&task));
}

gboolean
confab_client_sign_in_finish (ConfabClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == confab_client_sign_in_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
become_signed_out (ConfabClient *self)
{
  confab_client_stop (self);
  confab_client_set_token (self, NULL);
  set_state (self, CONFAB_CLIENT_SIGNED_OUT);
  g_signal_emit (self, signals[SIGNAL_SIGNED_OUT], 0);
}

static void
sign_out_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GBytes) body = NULL;

  /* Signed out here whatever the relay says: offline, the token is forgotten anyway. */
  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  become_signed_out (g_task_get_source_object (task));
  g_task_return_boolean (task, TRUE);
}

void
confab_client_sign_out_async (ConfabClient        *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (SoupMessage) msg = NULL;

  g_task_set_source_tag (task, confab_client_sign_out_async);
  if (self->token == NULL || (msg = api_message (self, "POST", "/api/v1/auth/logout")) == NULL)
    {
      become_signed_out (self);
      g_task_return_boolean (task, TRUE);
      return;
    }
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    sign_out_cb, g_steal_pointer (&task));
}

gboolean
confab_client_sign_out_finish (ConfabClient  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- the connection --- */

static void
drop_connection (ConfabClient *self)
{
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  g_clear_handle_id (&self->probe_source, g_source_remove);
  /* Frames not applied yet are dropped with their connection: the cursor has not moved past
   * them, so the next subscribe replays them, and an old "synced" must not mark a new
   * connection online. */
  g_clear_handle_id (&self->apply_source, g_source_remove);
  self->waits_for_frame = FALSE;
  g_queue_clear_full (&self->incoming, (GDestroyNotify) g_bytes_unref);
  /* the lists that stayed behind for slices to come catch up with what was applied */
  self->held_slices = 0;
  if (self->cache != NULL)
    confab_cache_set_batch_held (self->cache, FALSE);
  if (self->connect_cancellable != NULL)
    {
      g_cancellable_cancel (self->connect_cancellable);
      g_clear_object (&self->connect_cancellable);
    }
  if (self->ws != NULL)
    {
      SoupWebsocketConnection *ws = g_steal_pointer (&self->ws);

      g_signal_handlers_disconnect_by_data (ws, self);
      if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (ws);
    }
  confab_client_outbox_reset (self);
}

static gboolean
reconnect_cb (gpointer user_data)
{
  ConfabClient *self = user_data;

  self->reconnect_source = 0;
  self->reconnect_delay = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

/* Full jitter over the upper half: clients dropped together do not come back together. */
static void
schedule_reconnect (ConfabClient *self)
{
  guint delay = BACKOFF_CAP_MS;

  drop_connection (self);
  if (!self->running)
    {
      set_state (self, self->token ? CONFAB_CLIENT_OFFLINE : CONFAB_CLIENT_SIGNED_OUT);
      return;
    }
  if (self->attempts < 15)
    delay = MIN (BACKOFF_CAP_MS, BACKOFF_BASE_MS << self->attempts);
  delay = delay / 2 + g_random_int_range (0, delay / 2 + 1);
  self->attempts++;

  g_debug ("reconnecting in %u ms (attempt %u)", delay, self->attempts);
  set_state (self, CONFAB_CLIENT_OFFLINE);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  self->reconnect_source = g_timeout_add (delay, reconnect_cb, self);
  self->reconnect_delay = delay;
}

gboolean
confab_client_send_frame (ConfabClient *self,
                          JsonObject   *frame)
{
  g_autofree char *text = NULL;

  if (self->ws == NULL || soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  text = confab_json_object_to_string (frame);
  soup_websocket_connection_send_text (self->ws, text);
  return TRUE;
}

static gboolean
send_simple (ConfabClient *self,
             const char   *type)
{
  g_autoptr (JsonObject) frame = json_object_new ();

  json_object_set_string_member (frame, "type", type);
  return confab_client_send_frame (self, frame);
}

static gboolean
keepalive_cb (gpointer user_data)
{
  ConfabClient *self = user_data;

  if (g_get_monotonic_time () - self->last_frame_us > DEAD_AFTER_S * G_USEC_PER_SEC)
    {
      g_message ("No frame from the relay for %d s; reconnecting", DEAD_AFTER_S);
      self->keepalive_source = 0;
      schedule_reconnect (self);
      return G_SOURCE_REMOVE;
    }
  send_simple (self, "ping");
  return G_SOURCE_CONTINUE;
}

static gint64
frame_cursor (JsonObject *frame)
{
  gint64 cursor = 0;

  confab_json_get_int (frame, "cursor", FALSE, 0, &cursor, NULL);
  return cursor;
}

static void
handle_frame (ConfabClient *self,
              const char   *type,
              JsonObject   *frame)
{
  g_autoptr (GError) error = NULL;
  gint64 cursor = frame_cursor (frame);
  const char *site_id = NULL;
  JsonObject *object = NULL;

  confab_json_get_string (frame, "site_id", FALSE, &site_id, NULL);
  /* the agents' pictures named in it (confab-client-avatars.c) */
  confab_client_note_avatars_in (self, type, frame);
  /* channels and delivery states (confab-client-channels.c): TRUE when it was all there was */
  if (confab_client_channels_handle_frame (self, type, frame, cursor))
    return;

  /* pushed admin lists (confab-client-team.c); it notes presence and synced, handled below */
  if (confab_client_team_handle_frame (self, type, frame))
    return;
  /* issue 16's triggers (confab-client-engage.c) */
  if (confab_client_engage_handle_frame (self, type, frame))
    return;
  /* teams (confab-client-routing.c) */
  if (confab_client_routing_handle_frame (self, type, frame))
    return;
  /* notes and labels (confab-client-chat.c); it notes synced, handled below */
  if (confab_client_chat_handle_frame (self, type, frame, cursor))
    return;

  if (strcmp (type, "message") == 0)
    {
      const char *conversation_id = NULL;
      gint64 seq = 0;

      if (confab_cache_apply_message (self->cache, frame, cursor, &error) &&
          confab_json_get_string (frame, "conversation_id", TRUE, &conversation_id, NULL) &&
          confab_json_get_int (frame, "seq", TRUE, 0, &seq, NULL))
        {
          g_autoptr (ConfabMessage) message = NULL;

          message = confab_cache_get_message (self->cache, conversation_id, seq);
          if (message != NULL)
            g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, message);
        }
    }
  else if (strcmp (type, "conversation") == 0)
    {
      if (confab_json_get_object (frame, "conversation", TRUE, &object, &error) &&
          confab_cache_apply_conversation (self->cache, object, cursor, &error))
        {
          const char *id = NULL;
          g_autoptr (ConfabConversation) conversation = NULL;

          confab_json_get_string (object, "id", TRUE, &id, NULL);
          conversation = confab_cache_get_conversation (self->cache, id);
          if (conversation != NULL)
            g_signal_emit (self, signals[SIGNAL_CONVERSATION], 0, conversation);
        }
    }
  else if (strcmp (type, "visitor") == 0)
    {
      if (confab_json_get_object (frame, "visitor", TRUE, &object, &error) &&
          confab_cache_apply_visitor (self->cache, site_id, object, cursor, &error))
        {
          const char *id = NULL;
          g_autoptr (ConfabVisitor) visitor = NULL;

          confab_json_get_string (object, "id", TRUE, &id, NULL);
          visitor = confab_cache_get_visitor (self->cache, id);
          if (visitor != NULL)
            g_signal_emit (self, signals[SIGNAL_VISITOR], 0, visitor);
        }
    }
  else if (strcmp (type, "synced") == 0)
    {
      confab_cache_set_cursor (self->cache, cursor, NULL);
      self->attempts = 0;
      set_state (self, CONFAB_CLIENT_ONLINE);
      if (g_strcmp0 (self->presence, "online") != 0)
        {
          g_autoptr (JsonObject) presence = json_object_new ();
          json_object_set_string_member (presence, "type", "presence");
          json_object_set_string_member (presence, "status", self->presence);
          confab_client_send_frame (self, presence);
        }
      g_signal_emit (self, signals[SIGNAL_SYNCED], 0, confab_cache_get_cursor (self->cache));
      confab_client_outbox_pump (self);
      confab_client_starts_resend (self);
      confab_client_refresh_offline_messages (self);
    }
  else if (strcmp (type, "ack") == 0)
    {
      if (!confab_client_starts_handle_ack (self, frame))
        confab_client_outbox_handle_ack (self, frame);
    }
  else if (strcmp (type, "typing_preview") == 0)
    {
      const char *conversation_id = NULL, *visitor_id = NULL, *text = NULL;
      gboolean active = FALSE;

      confab_json_get_string (frame, "conversation_id", FALSE, &conversation_id, NULL);
      confab_json_get_string (frame, "visitor_id", FALSE, &visitor_id, NULL);
      confab_json_get_string (frame, "text", FALSE, &text, NULL);
      confab_json_get_bool (frame, "active", FALSE, text && *text, &active, NULL);
      /* without a conversation: a visitor typing before their first message */
      confab_client_chat_note_preview (self, visitor_id, text, active);
      if (conversation_id != NULL || visitor_id != NULL)
        g_signal_emit (self, signals[SIGNAL_TYPING_PREVIEW], 0, site_id, conversation_id,
                       visitor_id, text ? text : "", active);
    }
  else if (strcmp (type, "presence") == 0)
    {
      const char *agent_id = NULL, *name = NULL, *status = NULL;

      confab_json_get_string (frame, "agent_id", FALSE, &agent_id, NULL);
      confab_json_get_string (frame, "name", FALSE, &name, NULL);
      confab_json_get_string (frame, "status", FALSE, &status, NULL);
      if (agent_id != NULL && status != NULL)
        g_signal_emit (self, signals[SIGNAL_PRESENCE_CHANGED], 0, agent_id, name, status);
    }
  else if (strcmp (type, "read") == 0)
    {
      const char *conversation_id = NULL, *reader = NULL;
      gint64 seq = 0;

      confab_json_get_string (frame, "conversation_id", FALSE, &conversation_id, NULL);
      confab_json_get_string (frame, "reader", FALSE, &reader, NULL);
      confab_json_get_int (frame, "seq", FALSE, 0, &seq, NULL);
      if (conversation_id != NULL && reader != NULL)
        g_signal_emit (self, signals[SIGNAL_READ], 0, conversation_id, reader, seq);
    }
  else if (strcmp (type, "offline_message") == 0 || strcmp (type, "rating") == 0)
    {
      if (confab_client_unseen_apply (self, type, frame, cursor, &error))
        {
          g_autofree char *json = confab_json_object_to_string (frame);

          g_signal_emit (self, signals[type[0] == 'o' ? SIGNAL_OFFLINE_MESSAGE : SIGNAL_RATING], 0,
                         site_id, json);
        }
    }
  else if (strcmp (type, "timeline") == 0)
    {
      if (confab_client_unseen_apply (self, type, frame, cursor, &error))
        {
          g_autofree char *client_id = g_strdup_printf ("timeline:%" G_GINT64_FORMAT, cursor);
          g_autoptr (ConfabMessage) row = confab_cache_get_message_by_client_id (self->cache, client_id);
          const char *conversation_id = NULL;

          confab_json_get_string (frame, "conversation_id", FALSE, &conversation_id, NULL);
          if (row != NULL)
            g_signal_emit (self, signals[SIGNAL_TIMELINE], 0, conversation_id, row);
        }
    }
  /* pushed admin changes: live only (no cursor), for the pages that show them */
  else if (strcmp (type, "site") == 0)
    {
      if (confab_json_get_object (frame, "site", TRUE, &object, &error) &&
          confab_cache_update_site (self->cache, object, &error))
        {
          const char *id = NULL;

          confab_json_get_string (object, "id", FALSE, &id, NULL);
          g_signal_emit (self, signals[SIGNAL_SITE_UPDATED], 0, id, object);
        }
    }
  else if (strcmp (type, "sites") == 0)
    {
      JsonNode *sites = json_object_get_member (frame, "sites");

      if (sites != NULL && JSON_NODE_HOLDS_ARRAY (sites))
        confab_cache_replace_sites (self->cache, json_node_get_array (sites), &error);
    }
  else if (strcmp (type, "canned") == 0 || strcmp (type, "faqs") == 0 ||
           strcmp (type, "members") == 0)
    {
      JsonNode *list = json_object_get_member (frame, type);
      guint signal = type[0] == 'c' ? SIGNAL_CANNED_CHANGED
                     : type[0] == 'f' ? SIGNAL_FAQS_CHANGED : SIGNAL_MEMBERS_CHANGED;

      if (site_id != NULL && list != NULL && JSON_NODE_HOLDS_ARRAY (list))
        g_signal_emit (self, signals[signal], 0, site_id, json_node_get_array (list));
      else
        g_set_error (&error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                     "no site_id or no list");
    }
  else if (strcmp (type, "error") == 0)
    {
      const char *code = NULL, *message = NULL, *ref = NULL;

      if (confab_client_starts_handle_error (self, frame) ||
          confab_client_outbox_handle_error (self, frame))
        return;
      confab_json_get_string (frame, "code", FALSE, &code, NULL);
      confab_json_get_string (frame, "message", FALSE, &message, NULL);
      confab_json_get_string (frame, "ref", FALSE, &ref, NULL);
      g_signal_emit (self, signals[SIGNAL_RELAY_ERROR], 0, code, message, ref);
    }
  /* pong and types of newer relays: nothing to do (last_frame_us is already updated) */

  if (error != NULL)
    g_warning ("A %s event could not be applied: %s", type, error->message);
}

static void
apply_frame (ConfabClient *self,
             GBytes       *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) frame = NULL;
  const char *type = NULL;

  frame = confab_json_parse_object (g_bytes_get_data (message, NULL), g_bytes_get_size (message),
                                    MAX_FRAME_BYTES, MAX_FRAME_DEPTH, &error);
  if (frame == NULL || !confab_json_get_string (frame, "type", TRUE, &type, &error))
    {
      g_warning ("Ignoring a frame from the relay: %s", error->message);
      return;
    }
  handle_frame (self, type, frame);
}

/* Applies queued frames for at most APPLY_SLICE_US, then lets the main loop draw and take
 * input before the next slice: a catch-up of 10,000 conversations arrives faster than it can
 * be shown, and libsoup hands over every frame it has read in one go.
 *
 * Not an idle below redraw priority: with software rendering a frame can take longer than the
 * frame interval, the next one is then always due, and an animation (a spinner) would starve
 * the catch-up for as long as it runs. The next slice is a 1 ms timeout at default priority
 * instead: the frame and the events that are ready go first, then the slice, in turns. */
static gboolean
apply_cb (gpointer user_data)
{
  ConfabClient *self = user_data;
  gint64 end = g_get_monotonic_time () + APPLY_SLICE_US;
  guint source = self->apply_source;
  g_autoptr (ConfabCache) cache = g_object_ref (self->cache);
  g_autoptr (GError) error = NULL;
  gboolean batch;
  GBytes *message;

  /* frames that come during this slice's turn wait for the next */
  self->slice_end_us = end;
  self->waits_for_frame = FALSE;
  g_object_ref (self);
  if (self->held_slices >= HELD_SLICES)
    {
      /* The lists stayed behind for the last slices: this turn is theirs, they catch up (one
       * change for the list view) and the frame asked for below shows it, with no slice of
       * parsing before it. The list view's work for a change costs about the same whatever
       * the change covers: following every slice, it was most of the catch-up's CPU and the
       * frames that went over 100 ms were those (bench/desktop-catchup.sh). */
      self->held_slices = 0;
      confab_cache_set_batch_held (cache, FALSE);
      goto next;
    }
  /* one transaction for the slice, and the lists catch up once at its end, or a few slices
   * later (HELD_SLICES) */
  batch = confab_cache_batch_begin (cache, &error);
  if (!batch)
    g_warning ("Applying relay events one by one: %s", error->message);
  g_clear_error (&error);
  while (self->apply_source == source && (message = g_queue_pop_head (&self->incoming)) != NULL)
    {
      apply_frame (self, message);
      g_bytes_unref (message);
      self->backlog_applied++;
      if (g_get_monotonic_time () >= end)
        break;
    }
  if (batch)
    {
      gboolean more = self->apply_source == source && !g_queue_is_empty (&self->incoming);

      /* the last slice, or a connection dropped meanwhile: the lists catch up at its end */
      confab_cache_set_batch_held (cache, more);
      self->held_slices = more ? self->held_slices + 1 : 0;
    }
  if (batch && !confab_cache_batch_end (cache, &error))
    {
      /* not stored, and the cursor with them: they come again after a reconnect */
      g_warning ("Relay events not stored: %s", error->message);
      if (self->apply_source == source)
        schedule_reconnect (self);
    }
next:
  /* a frame may have dropped the connection, and the queue and this source with it */
  if (self->apply_source == source)
    {
      self->apply_source = 0;
      if (!g_queue_is_empty (&self->incoming))
        {
          /* Paced by the UI: the next slice after the frame that shows this one. Between
           * frames the main loop would otherwise run several slices, each a change the list
           * view follows (rows re-bound, the inbox scrolled back to its top), and the frame
           * after them paid for all (bench/desktop-catchup.sh). The time limit keeps a
           * catch-up going when no frame comes (a hidden window). */
          self->waits_for_frame = self->pacer != NULL && self->pacer (self->pacer_data);
          self->apply_source = g_timeout_add_full (G_PRIORITY_DEFAULT,
                                                   self->waits_for_frame ? self->frame_wait_ms : 1,
                                                   apply_cb, self, NULL);
          g_source_set_name_by_id (self->apply_source, "[confab] apply relay frames");
        }
      else if (self->backlog_applied >= TRIM_AFTER_FRAMES)
        {
#ifdef __GLIBC__
          /* Parsing tens of thousands of frames left the heap full of freed holes, which
           * glibc keeps: give them back (bench/desktop-catchup.sh: RSS after a catch-up). */
          malloc_trim (0);
#endif
        }
      if (self->apply_source == 0)
        self->backlog_applied = 0;
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

void
confab_client_set_frame_pacer (ConfabClient     *self,
                               ConfabFramePacer  pacer,
                               gpointer          user_data)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  self->pacer = pacer;
  self->pacer_data = user_data;
  if (pacer == NULL)
    confab_client_frame_painted (self);
}

/* How long a paced slice waits for its frame before going on without it (FRAME_WAIT_MS).
 * Tests on a loaded machine lengthen it, to tell "at once" from "after the wait" apart. */
void
confab_client_set_frame_wait (ConfabClient *self,
                              guint         wait_ms)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (wait_ms > 0);

  self->frame_wait_ms = wait_ms;
}

/* The frame the last slice waited for is painted: the next slice at once. */
void
confab_client_frame_painted (ConfabClient *self)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (!self->waits_for_frame)
    return;
  self->waits_for_frame = FALSE;
  if (self->apply_source != 0)
    {
      g_source_remove (self->apply_source);
      self->apply_source = g_timeout_add_full (G_PRIORITY_DEFAULT, 1, apply_cb, self, NULL);
      g_source_set_name_by_id (self->apply_source, "[confab] apply relay frames");
    }
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               int                      data_type,
               GBytes                  *message,
               ConfabClient            *self)
{
  self->last_frame_us = g_get_monotonic_time ();
  if (data_type != SOUP_WEBSOCKET_DATA_TEXT)
    return;

  /* A live event goes in at once, as long as nothing waits and this turn of the main loop
   * has not spent its slice: libsoup hands over a backlog frame by frame in one dispatch. */
  if (self->apply_source == 0)
    {
      gint64 now = g_get_monotonic_time ();

      if (now >= self->slice_end_us + APPLY_SLICE_US)
        self->slice_end_us = now + APPLY_SLICE_US;   /* a new slice */
      if (now < self->slice_end_us)
        {
          g_object_ref (self);
          apply_frame (self, message);
          g_object_unref (self);
          return;
        }
    }

  /* in arrival order, behind those still waiting; the slices take turns with frames and
   * input (apply_cb) */
  g_queue_push_tail (&self->incoming, g_bytes_ref (message));
  if (self->apply_source == 0)
    {
      self->apply_source = g_timeout_add_full (G_PRIORITY_DEFAULT, 1, apply_cb, self, NULL);
      g_source_set_name_by_id (self->apply_source, "[confab] apply relay frames");
    }
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              ConfabClient            *self)
{
  gushort code = soup_websocket_connection_get_close_code (ws);

  g_debug ("connection closed with %u", code);
  if (code == CLOSE_TOKEN_REVOKED)
    {
      become_signed_out (self);
      return;
    }
  /* 4008 slow consumer, 1001 relay restarting, network errors: come back and resume */
  schedule_reconnect (self);
}

static void
ws_connect_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ConfabClient *self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) subscribe = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  if (ws == NULL)
    {
      if (msg != NULL && soup_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED)
        become_signed_out (self);
      else
        {
          g_debug ("WebSocket connection failed: %s", error->message);
          schedule_reconnect (self);
        }
      g_object_unref (self);
      return;
    }

  g_clear_object (&self->connect_cancellable);
  self->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_FRAME_BYTES);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);
  self->last_frame_us = g_get_monotonic_time ();
  self->keepalive_source = g_timeout_add_seconds (KEEPALIVE_S, keepalive_cb, self);

  set_state (self, CONFAB_CLIENT_SYNCING);
  subscribe = json_object_new ();
  json_object_set_string_member (subscribe, "type", "subscribe");
  json_object_set_int_member (subscribe, "after_cursor", confab_cache_get_cursor (self->cache));
  confab_client_send_frame (self, subscribe);
  g_object_unref (self);
}

static void
me_cb (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  ConfabClient *self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (SoupMessage) upgrade = NULL;
  g_autofree char *ws_url = NULL;
  JsonNode *sites;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out;
  if (body == NULL)
    {
      g_debug ("/me failed: %s", error->message);
      schedule_reconnect (self);
      goto out;
    }
  if (soup_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED)
    {
      become_signed_out (self);
      goto out;
    }
  if (soup_message_get_status (msg) != SOUP_STATUS_OK ||
      (object = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                          MAX_FRAME_BYTES, MAX_FRAME_DEPTH, &error)) == NULL)
    {
      g_debug ("/me answered %u", soup_message_get_status (msg));
      schedule_reconnect (self);
      goto out;
    }

  sites = json_object_get_member (object, "sites");
  if (sites != NULL && JSON_NODE_HOLDS_ARRAY (sites) &&
      !confab_cache_replace_sites (self->cache, json_node_get_array (sites), &error))
    g_warning ("Could not store the site list: %s", error->message);
  {
    const char *id = NULL, *name = NULL;
    JsonObject *user = object;

    /* /me is the user object with its sites; tolerate it nested under "user" too */
    confab_json_get_object (object, "user", FALSE, &user, NULL);
    if (user == NULL)
      user = object;
    if (confab_json_get_string (user, "id", FALSE, &id, NULL) && id && set_str (&self->user_id, id))
      {
        confab_cache_set_meta (self->cache, "user_id", id, NULL);
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_ID]);
      }
    /* "user": @user itself is the user object */
    confab_client_note_avatars_in (self, "user", user);
    if (confab_json_get_string (user, "name", FALSE, &name, NULL) && name && set_str (&self->user_name, name))
      {
        confab_cache_set_meta (self->cache, "user_name", name, NULL);
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_NAME]);
      }
  }

  ws_url = api_url (self, "/ws/agent");
  if (g_str_has_prefix (ws_url, "http"))
    memcpy (ws_url, "ws", 2), memmove (ws_url + 2, ws_url + 4, strlen (ws_url + 4) + 1);
  upgrade = soup_message_new (SOUP_METHOD_GET, ws_url);
  if (upgrade == NULL)
    {
      schedule_reconnect (self);
      goto out;
    }
  {
    g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);
    soup_message_headers_replace (soup_message_get_request_headers (upgrade), "Authorization", auth);
  }
  soup_session_websocket_connect_async (self->session, upgrade, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->connect_cancellable, ws_connect_cb,
                                        g_object_ref (self));

out:
  g_object_unref (self);
}

static void
connect_now (ConfabClient *self)
{
  g_autoptr (SoupMessage) msg = NULL;

  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  drop_connection (self);
  if (!self->running)
    return;
  if (self->token == NULL)
    {
      become_signed_out (self);
      return;
    }

  msg = api_message (self, "GET", "/api/v1/me");
  if (msg == NULL)
    {
      g_warning ("“%s” is not a relay address", self->relay_url);
      schedule_reconnect (self);
      return;
    }
  set_state (self, CONFAB_CLIENT_CONNECTING);
  self->connect_cancellable = g_cancellable_new ();
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    self->connect_cancellable, me_cb, g_object_ref (self));
}

void
confab_client_start (ConfabClient *self)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->attempts = 0;
  connect_now (self);
}

void
confab_client_stop (ConfabClient *self)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  self->running = FALSE;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  drop_connection (self);
  if (self->state != CONFAB_CLIENT_SIGNED_OUT)
    set_state (self, CONFAB_CLIENT_OFFLINE);
  confab_client_starts_fail_all (self);
}

static gboolean
probe_cb (gpointer user_data)
{
  ConfabClient *self = user_data;

  self->probe_source = 0;
  if (self->last_frame_us < self->probe_sent_us)
    {
      g_message ("No answer from the relay %d s after a network change; reconnecting",
                 PROBE_MS / 1000);
      self->attempts = 0;
      schedule_reconnect (self);
    }
  return G_SOURCE_REMOVE;
}

/* The network came back or changed (another Wi-Fi, a VPN, resume): waiting out the backoff
 * would leave the agent offline for nothing, so try now. A connection that looks open may be
 * dead on the old route: a ping must be answered within PROBE_MS, instead of the keepalive's
 * DEAD_AFTER_S. */
static void
on_network_changed (GNetworkMonitor *monitor,
                    gboolean         available,
                    ConfabClient    *self)
{
  if (!available || !self->running || self->token == NULL)
    return;
  if (self->ws == NULL)
    {
      if (self->connect_cancellable != NULL)
        return;   /* connecting already */
      g_debug ("network changed: reconnecting now");
      confab_client_reconnect_now (self);
      return;
    }
  if (self->probe_source == 0 && send_simple (self, "ping"))
    {
      self->probe_sent_us = g_get_monotonic_time ();
      self->probe_source = g_timeout_add (PROBE_MS, probe_cb, self);
    }
}

guint
confab_client_get_reconnect_delay (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), 0);

  return self->reconnect_source != 0 ? self->reconnect_delay : 0;
}

void
confab_client_reconnect_now (ConfabClient *self)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (!self->running)
    return;
  self->attempts = 0;
  connect_now (self);
}

/* --- actions --- */

ConfabMessage *
confab_client_send_message (ConfabClient  *self,
                            const char    *conversation_id,
                            const char    *body,
                            GError       **error)
{
  g_autofree char *trimmed = NULL;
  ConfabMessage *message;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);

  trimmed = g_strstrip (g_strdup (body ? body : ""));
  if (conversation_id == NULL || *trimmed == '\0' || !g_utf8_validate (body, -1, NULL) ||
      g_utf8_strlen (body, -1) > 4000)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "A message needs a conversation and 1 to 4000 characters of text");
      return NULL;
    }

  message = confab_cache_outbox_add (self->cache, conversation_id, body, error);
  if (message != NULL)
    confab_client_outbox_pump (self);
  return message;
}

gboolean
confab_client_retry_message (ConfabClient  *self,
                             const char    *client_id,
                             GError       **error)
{
  if (!confab_cache_outbox_retry (self->cache, client_id, error))
    return FALSE;
  confab_client_outbox_pump (self);
  return TRUE;
}

gboolean
confab_client_discard_message (ConfabClient  *self,
                               const char    *client_id,
                               GError       **error)
{
  g_autofree char *path = NULL;
  gboolean uploading;

  /* a file still on its way up can be stopped; a message sent and not acked cannot */
  uploading = confab_client_outbox_cancel_upload (self, client_id);
  if (!uploading && g_strcmp0 (client_id, self->in_flight) == 0)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "This message is being sent right now");
      return FALSE;
    }
  if (!confab_cache_outbox_discard (self->cache, client_id, error))
    return FALSE;
  path = confab_client_outbox_file_path (client_id);
  g_unlink (path);
  if (uploading)
    confab_client_outbox_pump (self);
  return TRUE;
}

static gboolean
require_online (ConfabClient  *self,
                GError       **error)
{
  if (self->state == CONFAB_CLIENT_ONLINE)
    return TRUE;
  g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE,
               "Not connected to the relay");
  return FALSE;
}

static gboolean
send_conversation_frame (ConfabClient  *self,
                         JsonObject    *frame,
                         GError       **error)
{
  if (!require_online (self, error))
    return FALSE;
  if (!confab_client_send_frame (self, frame))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE,
                   "Not connected to the relay");
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
conversation_frame (const char *type,
                    const char *conversation_id)
{
  JsonObject *frame = json_object_new ();

  json_object_set_string_member (frame, "type", type);
  json_object_set_string_member (frame, "conversation_id", conversation_id);
  return frame;
}

gboolean
confab_client_send_typing (ConfabClient  *self,
                           const char    *conversation_id,
                           gboolean       active,
                           GError       **error)
{
  g_autoptr (JsonObject) frame = conversation_frame ("typing", conversation_id);

  json_object_set_boolean_member (frame, "active", active);
  return send_conversation_frame (self, frame, error);
}

gboolean
confab_client_assign (ConfabClient  *self,
                      const char    *conversation_id,
                      const char    *agent_id,
                      GError       **error)
{
  g_autoptr (JsonObject) frame = conversation_frame ("assign", conversation_id);

  if (agent_id != NULL)
    json_object_set_string_member (frame, "agent_id", agent_id);
  else
    json_object_set_null_member (frame, "agent_id");
  return send_conversation_frame (self, frame, error);
}

gboolean
confab_client_set_status (ConfabClient  *self,
                          const char    *conversation_id,
                          const char    *status,
                          GError       **error)
{
  static const char * const statuses[] = { "open", "pending", "resolved", "closed", NULL };
  g_autoptr (JsonObject) frame = NULL;

  if (status == NULL || !g_strv_contains (statuses, status))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "A status is open, pending, resolved or closed");
      return FALSE;
    }
  frame = conversation_frame ("set_status", conversation_id);
  json_object_set_string_member (frame, "status", status);
  return send_conversation_frame (self, frame, error);
}

gboolean
confab_client_mark_read (ConfabClient  *self,
                         const char    *conversation_id,
                         gint64         seq,
                         GError       **error)
{
  g_autoptr (JsonObject) frame = conversation_frame ("read", conversation_id);

  if (!confab_cache_mark_read (self->cache, conversation_id, seq, error))
    return FALSE;
  json_object_set_int_member (frame, "seq", seq);
  /* offline: the local mark stays, the relay hears it with the next read */
  confab_client_send_frame (self, frame);
  return TRUE;
}

gboolean
confab_client_set_presence (ConfabClient  *self,
                            const char    *status,
                            GError       **error)
{
  static const char * const statuses[] = { "online", "away", "busy", NULL };
  g_autoptr (JsonObject) frame = NULL;

  if (status == NULL || !g_strv_contains (statuses, status))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "Presence is online, away or busy");
      return FALSE;
    }
  if (set_str (&self->presence, status))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESENCE]);
  if (self->state == CONFAB_CLIENT_ONLINE)
    {
      frame = json_object_new ();
      json_object_set_string_member (frame, "type", "presence");
      json_object_set_string_member (frame, "status", status);
      confab_client_send_frame (self, frame);
    }
  return TRUE;
}

/* --- accessors --- */

ConfabClient *
confab_client_new (ConfabCache *cache,
                   const char  *relay_url)
{
  g_return_val_if_fail (CONFAB_IS_CACHE (cache), NULL);
  g_return_val_if_fail (relay_url != NULL, NULL);

  return g_object_new (CONFAB_TYPE_CLIENT, "cache", cache, "relay-url", relay_url, NULL);
}

ConfabCache *
confab_client_get_cache (ConfabClient *self)
{
  return self->cache;
}

ConfabClientState
confab_client_get_state (ConfabClient *self)
{
  return self->state;
}

const char *
confab_client_get_relay_url (ConfabClient *self)
{
  return self->relay_url;
}

void
confab_client_set_relay_url (ConfabClient *self,
                             const char   *relay_url)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (relay_url != NULL);

  if (!set_str (&self->relay_url, relay_url))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RELAY_URL]);
  confab_client_reconnect_now (self);
}

const char *
confab_client_get_token (ConfabClient *self)
{
  return self->token;
}

void
confab_client_set_token (ConfabClient *self,
                         const char   *token)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (!set_str (&self->token, token))
    return;
  if (token != NULL && self->state == CONFAB_CLIENT_SIGNED_OUT)
    set_state (self, CONFAB_CLIENT_OFFLINE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
}

const char *
confab_client_get_user_id (ConfabClient *self)
{
  return self->user_id;
}

const char *
confab_client_get_user_name (ConfabClient *self)
{
  return self->user_name;
}

const char *
confab_client_get_presence (ConfabClient *self)
{
  return self->presence;
}

/* --- GObject --- */

static void
confab_client_constructed (GObject *object)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  G_OBJECT_CLASS (confab_client_parent_class)->constructed (object);

  /* what the last session learnt: shown before the network answers */
  self->user_id = confab_cache_dup_meta (self->cache, "user_id");
  self->user_name = confab_cache_dup_meta (self->cache, "user_name");

  self->network_monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect (self->network_monitor, "network-changed", G_CALLBACK (on_network_changed), self);
}

static void
confab_client_dispose (GObject *object)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  self->running = FALSE;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  drop_connection (self);
  if (self->network_monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->network_monitor, self);
  g_clear_object (&self->network_monitor);
  confab_client_starts_fail_all (self);
  g_clear_pointer (&self->starts, g_ptr_array_unref);
  g_clear_object (&self->session);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (confab_client_parent_class)->dispose (object);
}

static void
confab_client_finalize (GObject *object)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  g_free (self->relay_url);
  g_free (self->token);
  g_free (self->user_id);
  g_free (self->user_name);
  g_free (self->presence);

  G_OBJECT_CLASS (confab_client_parent_class)->finalize (object);
}

static void
confab_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CACHE:
      g_value_set_object (value, self->cache);
      break;

    case PROP_RELAY_URL:
      g_value_set_string (value, self->relay_url);
      break;

    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;

    case PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;

    case PROP_USER_NAME:
      g_value_set_string (value, self->user_name);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_PRESENCE:
      g_value_set_string (value, self->presence);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CACHE:
      self->cache = g_value_dup_object (value);
      break;

    case PROP_RELAY_URL:
      if (self->relay_url == NULL)
        self->relay_url = g_value_dup_string (value);
      else
        confab_client_set_relay_url (self, g_value_get_string (value));
      break;

    case PROP_TOKEN:
      confab_client_set_token (self, g_value_get_string (value));
      break;

    case PROP_PRESENCE:
      confab_client_set_presence (self, g_value_get_string (value), NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_client_class_init (ConfabClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->constructed = confab_client_constructed;
  object_class->dispose = confab_client_dispose;
  object_class->finalize = confab_client_finalize;
  object_class->get_property = confab_client_get_property;
  object_class->set_property = confab_client_set_property;

  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, "The account's cache",
                         CONFAB_TYPE_CACHE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | flags);
  properties[PROP_RELAY_URL] =
    g_param_spec_string ("relay-url", NULL, "The relay, http(s)://host:port",
                         NULL,
                         G_PARAM_READWRITE | flags);
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, "The session token (keep it in the keyring)",
                         NULL,
                         G_PARAM_READWRITE | flags);
  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, "The signed-in agent's id",
                         NULL,
                         G_PARAM_READABLE | flags);
  properties[PROP_USER_NAME] =
    g_param_spec_string ("user-name", NULL, "The signed-in agent's name",
                         NULL,
                         G_PARAM_READABLE | flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, "The connection state (for the offline banner)",
                       CONFAB_TYPE_CLIENT_STATE, CONFAB_CLIENT_SIGNED_OUT,
                       G_PARAM_READABLE | flags);
  properties[PROP_PRESENCE] =
    g_param_spec_string ("presence", NULL, "online, away or busy",
                         "online",
                         G_PARAM_READWRITE | flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* After the event is in the cache. */
  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CONFAB_TYPE_MESSAGE);
  signals[SIGNAL_CONVERSATION] =
    g_signal_new ("conversation", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CONFAB_TYPE_CONVERSATION);
  signals[SIGNAL_VISITOR] =
    g_signal_new ("visitor", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CONFAB_TYPE_VISITOR);
  /* site_id, conversation_id, visitor_id, text ("" = cleared), active: live only */
  signals[SIGNAL_TYPING_PREVIEW] =
    g_signal_new ("typing-preview", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 5, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                  G_TYPE_BOOLEAN);
  /* agent_id, name, status (online, away, busy, offline) */
  signals[SIGNAL_PRESENCE_CHANGED] =
    g_signal_new ("presence-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* conversation_id, reader ("visitor"), seq: a read receipt */
  signals[SIGNAL_READ] =
    g_signal_new ("read", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT64);
  /* site_id, the whole frame as JSON text */
  signals[SIGNAL_OFFLINE_MESSAGE] =
    g_signal_new ("offline-message", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_RATING] =
    g_signal_new ("rating", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /* conversation_id, the timeline row (a ConfabMessage) now in the cache */
  signals[SIGNAL_TIMELINE] =
    g_signal_new ("timeline", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, CONFAB_TYPE_MESSAGE);
  /* Pushed by the relay after an admin's change (see the header): site_id, then the site
   * object or the whole list, borrowed from the frame. */
  signals[SIGNAL_SITE_UPDATED] =
    g_signal_new ("site-updated", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
  signals[SIGNAL_CANNED_CHANGED] =
    g_signal_new ("canned-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_ARRAY);
  signals[SIGNAL_FAQS_CHANGED] =
    g_signal_new ("faqs-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_ARRAY);
  signals[SIGNAL_MEMBERS_CHANGED] =
    g_signal_new ("members-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_ARRAY);
  /* code, message, ref: an error frame not about an outbox message */
  signals[SIGNAL_RELAY_ERROR] =
    g_signal_new ("relay-error", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* the cursor: the backlog is in the cache, what follows is live */
  signals[SIGNAL_SYNCED] =
    g_signal_new ("synced", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT64);
  /* the token was refused or revoked: remove it from the keyring, show sign-in */
  signals[SIGNAL_SIGNED_OUT] =
    g_signal_new ("signed-out", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
confab_client_init (ConfabClient *self)
{
  /* the app and meson's version, as the relay names itself in its Server header */
  self->session = soup_session_new_with_options ("timeout", 30, "idle-timeout", 60,
                                                 "user-agent", "confab/" CONFAB_VERSION, NULL);
  self->presence = g_strdup ("online");
  self->state = CONFAB_CLIENT_SIGNED_OUT;
  self->frame_wait_ms = FRAME_WAIT_MS;
}
