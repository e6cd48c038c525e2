/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub.c: live connections of visitors and agents.
 *
 * Rooms are plain indexes: agents by site, visitor tabs by visitor id. Every persisted event
 * is written to the store first and fanned out after, in the same main-loop turn, so that a
 * client resuming from a cursor or seq can never miss or see twice what was sent live.
 */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-admin.h"
#include "confab-hub-private.h"
#include "confab-hub-cluster.h"
#include "confab-hub-leads.h"
#include "confab-meta.h"
#include "confab-metrics.h"
#include "confab-store-channels.h"

void
outgoing_free (Outgoing *outgoing)
{
  g_free (outgoing->site_id);
  g_free (outgoing->agent_text);
  g_free (outgoing->visitor_id);
  g_free (outgoing->visitor_text);
  g_free (outgoing->client_text);
  g_free (outgoing->failure_ref);
  g_free (outgoing);
}

/* --- indexes --- */

void
index_add (GHashTable *index,
           const char *key,
           Client     *client)
{
  GPtrArray *list = g_hash_table_lookup (index, key);

  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (index, g_strdup (key), list);
    }
  g_ptr_array_add (list, client);
}

void
index_remove (GHashTable *index,
              const char *key,
              Client     *client)
{
  GPtrArray *list = key ? g_hash_table_lookup (index, key) : NULL;

  if (list == NULL)
    return;

  g_ptr_array_remove_fast (list, client);
  if (list->len == 0)
    g_hash_table_remove (index, key);
}

GPtrArray *
index_get (GHashTable *index,
           const char *key)
{
  return key ? g_hash_table_lookup (index, key) : NULL;
}

gboolean
agent_in_site (Client     *client,
               const char *site_id)
{
  for (guint i = 0; client->site_ids && i < client->site_ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (client->site_ids, i), site_id) == 0)
      return TRUE;
  return FALSE;
}

/* --- sending --- */

/* Whether what the client has not acknowledged yet (our queue and the kernel's: the transport
 * knows both) is over @limit. */
gboolean
client_backlogged (Client  *client,
                   guint64  limit)
{
  return confab_websocket_buffered_exceeds (client->ws, limit);
}

void
client_close (Client     *client,
              gushort     code,
              const char *reason)
{
  if (client->closing)
    return;

  client->closing = TRUE;
  confab_websocket_close (client->ws, code, reason);
}

gboolean
client_send_text (Client     *client,
                  const char *text)
{
  gsize len = strlen (text);
  guint64 limit = client->hub->relay->config->send_queue_bytes;

  if (client->closing || confab_websocket_get_state (client->ws) != CONFAB_WEBSOCKET_OPEN)
    return FALSE;

  if (len > limit || client_backlogged (client, limit - len))
    {
      /* It stopped reading: holding more for it would let one client grow the relay
       * without bound. It resumes from its cursor / seq when it comes back. */
      g_message ("Dropping %s connection that stopped reading (%" G_GUINT64_FORMAT " bytes unacknowledged)",
                 client->kind == CLIENT_AGENT ? "an agent" : "a visitor",
                 confab_websocket_get_buffered (client->ws));
      client_close (client, CONFAB_CLOSE_SLOW_CONSUMER, "send queue full");
      return FALSE;
    }

  if (!confab_websocket_send_text (client->ws, text, len))
    return FALSE;
  confab_metrics_inc (CONFAB_METRIC_FRAMES_OUT);
  return TRUE;
}

gboolean
client_send (Client     *client,
             JsonObject *frame)
{
  g_autofree char *text = confab_frame_to_string (frame);

  return client_send_text (client, text);
}

static void
client_send_error (Client     *client,
                   const char *code,
                   const char *message,
                   const char *ref)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("error");

  json_object_set_string_member (frame, "code", code);
  json_object_set_string_member (frame, "message", message);
  if (ref != NULL)
    json_object_set_string_member (frame, "ref", ref);
  else
    json_object_set_null_member (frame, "ref");
  client_send (client, frame);
}

/* A frame the client got wrong: tell it, and close after too many. */
void
client_bad_frame (Client     *client,
                  const char *code,
                  const char *message,
                  const char *ref)
{
  client_send_error (client, code, message, ref);
  if (++client->bad_frames >= client->hub->relay->config->bad_frames_before_close)
    client_close (client, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too many bad frames");
}

void
client_bad_gerror (Client       *client,
                   const GError *error,
                   const char   *ref)
{
  client_bad_frame (client, confab_json_error_code (error), error->message, ref);
}

void
client_rate_limited (Client     *client,
                     guint       retry_after_ms,
                     const char *ref)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("error");

  confab_metrics_inc (client->kind == CLIENT_AGENT ? CONFAB_METRIC_RATE_LIMITED_AGENT
                                                   : CONFAB_METRIC_RATE_LIMITED_VISITOR);
  json_object_set_string_member (frame, "code", "rate_limited");
  json_object_set_string_member (frame, "message", "Too many frames; wait before sending more");
  if (ref != NULL)
    json_object_set_string_member (frame, "ref", ref);
  else
    json_object_set_null_member (frame, "ref");
  /* whole seconds, rounded up, like HTTP's Retry-After */
  json_object_set_int_member (frame, "retry_after", MAX (1, (retry_after_ms + 999) / 1000));
  client_send (client, frame);

  /* A client that keeps sending into the refusals is no widget waiting as told: every
   * refusal costs a frame back, so after enough of them the connection goes. */
  if (!confab_token_bucket_take (&client->refusals, confab_rate_limit_now_ms (), NULL))
    client_close (client, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too many frames over the rate limit");
}

void
client_store_failed (Client       *client,
                     const GError *error,
                     const char   *ref)
{
  static gint64 last_logged;
  g_autoptr (JsonObject) frame = confab_frame_new ("error");
  gint64 now = g_get_monotonic_time ();

  /* Another relay's transaction held a lock this one waited for (PostgreSQL's lock timeout,
   * or a deadlock it lost): nothing of the frame was stored, and it is held and run again as
   * frames are while SQLite's file is locked (dispatch_in_batch ()), instead of refused. A
   * message is told by its client_id, the other frames that may be held have no ref. */
  if (client->hub->holding == client &&
      g_strcmp0 (ref, client->hub->holding_ref) == 0 &&
      g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
    {
      client->hub->held = TRUE;
      return;
    }

  confab_metrics_inc (CONFAB_METRIC_STORE_ERRORS);

  if (!confab_store_error_is_transient (error))
    {
      g_warning ("Store failure: %s", error->message);
      client_send_error (client, "internal_error", "The relay could not store this; try again",
                         ref);
      return;
    }

  /* A locked or full database fails every frame for a while: once in the log is enough. */
  if (last_logged == 0 || now - last_logged > 10 * G_USEC_PER_SEC)
    {
      g_warning ("Store unavailable, frames refused for now: %s", error->message);
      last_logged = now;
    }

  /* Nothing of it was stored, and the cause passes: the same frame will work later. */
  json_object_set_string_member (frame, "code", "store_unavailable");
  json_object_set_string_member (frame, "message",
                                 g_error_matches (error, CONFAB_STORE_ERROR,
                                                  CONFAB_STORE_ERROR_BUSY)
                                 ? "The database is busy; send this again shortly"
                                 : g_error_matches (error, CONFAB_STORE_ERROR,
                                                    CONFAB_STORE_ERROR_UNAVAILABLE)
                                 ? "The database cannot be reached; send this again shortly"
                                 : "The relay's disk is full; send this again later");
  if (ref != NULL)
    json_object_set_string_member (frame, "ref", ref);
  else
    json_object_set_null_member (frame, "ref");
  json_object_set_int_member (frame, "retry_after", 1);
  client_send (client, frame);
}

/* Live events go to agents that finished their backlog; those still syncing will read the
 * event from the store, since it was persisted before this call. */
void
fanout_agents (ConfabHub  *hub,
               const char *site_id,
               const char *text)
{
  GPtrArray *agents = index_get (hub->site_agents, site_id);
  g_autoptr (GPtrArray) snapshot = NULL;

  if (agents == NULL)
    return;

  /* sending may close a slow client, which edits the index */
  snapshot = g_ptr_array_copy (agents, NULL, NULL);
  for (guint i = 0; i < snapshot->len; i++)
    {
      Client *agent = g_ptr_array_index (snapshot, i);

      if (agent->subscribed && !agent->syncing)
        client_send_text (agent, text);
    }
}

void
fanout_visitor_text (ConfabHub  *hub,
                     const char *visitor_id,
                     const char *text)
{
  GPtrArray *tabs = index_get (hub->visitor_tabs, visitor_id);
  g_autoptr (GPtrArray) snapshot = NULL;

  if (tabs == NULL)
    return;

  snapshot = g_ptr_array_copy (tabs, NULL, NULL);
  for (guint i = 0; i < snapshot->len; i++)
    client_send_text (g_ptr_array_index (snapshot, i), text);
}

void
confab_hub_send_to_visitor (ConfabHub  *hub,
                            const char *visitor_id,
                            JsonObject *frame)
{
  fanout_visitor (hub, visitor_id, frame);
}

void
fanout_visitor (ConfabHub  *hub,
                const char *visitor_id,
                JsonObject *frame)
{
  g_autofree char *text = confab_frame_to_string (frame);

  fanout_visitor_text (hub, visitor_id, text);
}

/* --- agents online, presence --- */

guint
confab_hub_agents_online (ConfabHub  *hub,
                          const char *site_id)
{
  GPtrArray *agents = index_get (hub->site_agents, site_id);
  g_autoptr (GHashTable) users = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; agents && i < agents->len; i++)
    {
      Client *agent = g_ptr_array_index (agents, i);

      if (!agent->closing && g_strcmp0 (agent->presence, "online") == 0)
        g_hash_table_add (users, agent->user_id);
    }
  hub_cluster_add_remote_online (hub, site_id, users);

  return g_hash_table_size (users);
}

void
hub_fanout_agents_online (ConfabHub  *hub,
                          const char *site_id)
{
  guint count = confab_hub_agents_online (hub, site_id);
  gpointer told;
  GPtrArray *visitors;
  g_autoptr (JsonObject) frame = NULL;
  g_autofree char *text = NULL;

  if (g_hash_table_lookup_extended (hub->site_online, site_id, NULL, &told) &&
      GPOINTER_TO_UINT (told) == count)
    return;

  g_hash_table_replace (hub->site_online, g_strdup (site_id), GUINT_TO_POINTER (count));

  visitors = index_get (hub->site_visitors, site_id);
  if (visitors == NULL)
    return;

  frame = confab_frame_new ("agents_online");
  json_object_set_int_member (frame, "count", count);
  text = confab_frame_to_string (frame);
  {
    g_autoptr (GPtrArray) snapshot = g_ptr_array_copy (visitors, NULL, NULL);
    for (guint i = 0; i < snapshot->len; i++)
      client_send_text (g_ptr_array_index (snapshot, i), text);
  }
}

/* Tells every agent sharing a site with @agent its presence ("offline" once it has gone). */
void
announce_presence (ConfabHub  *hub,
                   Client     *agent,
                   const char *status)
{
  g_autoptr (GHashTable) told = g_hash_table_new (NULL, NULL);
  g_autoptr (JsonObject) frame = confab_frame_new ("presence");
  g_autofree char *text = NULL;

  json_object_set_string_member (frame, "agent_id", agent->user_id);
  json_object_set_string_member (frame, "name", agent->user_name ? agent->user_name : "");
  /* the team sees the agent online while any of its sockets on any relay is */
  json_object_set_string_member (frame, "status",
                                 hub_cluster_effective_status (hub, agent->user_id, status));
  text = confab_frame_to_string (frame);
  hub_cluster_presence (hub, agent->user_id, agent->user_name, agent->site_ids, status);
  /* issue 18: a free agent takes the queue's head; an absent one's chats may go back to it */
  hub_route_presence (hub, agent, status);

  for (guint i = 0; i < agent->site_ids->len; i++)
    {
      GPtrArray *agents = index_get (hub->site_agents, g_ptr_array_index (agent->site_ids, i));
      g_autoptr (GPtrArray) snapshot = agents ? g_ptr_array_copy (agents, NULL, NULL) : NULL;

      for (guint j = 0; snapshot && j < snapshot->len; j++)
        {
          Client *other = g_ptr_array_index (snapshot, j);

          if (other == agent || g_hash_table_contains (told, other) ||
              !other->subscribed || other->syncing)
            continue;
          g_hash_table_add (told, other);
          client_send_text (other, text);
        }
    }

  for (guint i = 0; i < agent->site_ids->len; i++)
    hub_fanout_agents_online (hub, g_ptr_array_index (agent->site_ids, i));
}

/* --- connections --- */

static void
on_message (ConfabWebsocket *ws,
            gint             data_type,
            GBytes          *message,
            gpointer         user_data)
{
  Client *client = user_data;
  g_autoptr (JsonObject) frame = NULL;
  const char *type = NULL;

  confab_metrics_inc (CONFAB_METRIC_FRAMES_IN);
  if (client->closing)
    return;

  if (data_type != CONFAB_WEBSOCKET_DATA_TEXT)
    {
      client_bad_frame (client, "unsupported_frame", "Frames are JSON text, not binary", NULL);
      return;
    }

  frame = client_parse_frame (client, message, &type);
  if (frame != NULL)
    hub_receive_frame (client, message, type, frame);
}

JsonObject *
client_parse_frame (Client      *client,
                    GBytes      *message,
                    const char **out_type)
{
  g_autoptr (JsonObject) frame = NULL;
  g_autoptr (GError) error = NULL;
  const char *data;
  gsize len;

  data = g_bytes_get_data (message, &len);
  if (len > client->hub->relay->config->max_frame_bytes)
    {
      client_close (client, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "frame too large");
      return NULL;
    }

  frame = confab_json_parse_object (data, len, client->hub->relay->config->max_frame_bytes,
                                    MAX_FRAME_DEPTH, &error);
  if (frame == NULL)
    {
      client_bad_gerror (client, error, NULL);
      return NULL;
    }

  if (!confab_json_get_string (frame, "type", TRUE, out_type, &error))
    {
      client_bad_gerror (client, error, NULL);
      return NULL;
    }

  return g_steal_pointer (&frame);
}

void
client_dispatch_frame (Client     *client,
                       const char *type,
                       JsonObject *frame)
{
  if (client->kind == CLIENT_VISITOR)
    handle_visitor_frame (client, type, frame);
  else
    handle_agent_frame (client, type, frame);
}

static void
client_free (Client *client)
{
  for (guint i = 0; i < client->hub->outgoing->len; i++)
    {
      Outgoing *outgoing = g_ptr_array_index (client->hub->outgoing, i);

      if (outgoing->client == client)
        outgoing->client = NULL;
    }
  hub_forget_client (client->hub, client);
  if (client->kind == CLIENT_VISITOR)
    hub_cluster_site_left (client->hub, client->site_id);
  else
    for (guint i = 0; client->site_ids != NULL && i < client->site_ids->len; i++)
      hub_cluster_site_left (client->hub, g_ptr_array_index (client->site_ids, i));

  g_clear_handle_id (&client->preview_source, g_source_remove);
  g_clear_handle_id (&client->sync_source, g_source_remove);
  g_signal_handlers_disconnect_by_data (client->ws, client);
  g_clear_object (&client->ws);
  g_free (client->ip_hash);
  g_clear_pointer (&client->geo, confab_geo_result_free);
  g_free (client->header_user_agent);
  g_free (client->site_id);
  g_free (client->visitor_id);
  g_free (client->visitor_name);
  g_free (client->conversation_id);
  g_free (client->pending_preview);
  g_free (client->user_id);
  g_free (client->user_name);
  g_free (client->token_hash);
  g_clear_pointer (&client->site_ids, g_ptr_array_unref);
  g_free (client->presence);
  g_free (client->route_team);
  g_free (client);
}

static gboolean
user_still_connected (ConfabHub  *hub,
                      Client     *gone)
{
  for (guint i = 0; i < gone->site_ids->len; i++)
    {
      GPtrArray *agents = index_get (hub->site_agents, g_ptr_array_index (gone->site_ids, i));

      for (guint j = 0; agents && j < agents->len; j++)
        if (g_strcmp0 (((Client *) g_ptr_array_index (agents, j))->user_id, gone->user_id) == 0)
          return TRUE;
    }
  return FALSE;
}

static void
on_closed (ConfabWebsocket *ws,
           gpointer         user_data)
{
  Client *client = user_data;
  ConfabHub *hub = client->hub;

  client->closing = TRUE;

  if (client->kind == CLIENT_VISITOR)
    {
      if (client->visitor_id != NULL)
        {
          index_remove (hub->visitor_tabs, client->visitor_id, client);
          index_remove (hub->site_visitors, client->site_id, client);

          preview_tab_closed (client);

          /* The last tab closed: the visitor left. */
          if (!tabs_online (hub, client->visitor_id))
            hub_visitor_left (hub, client->site_id, client->visitor_id);
        }
    }
  else
    {
      for (guint i = 0; i < client->site_ids->len; i++)
        index_remove (hub->site_agents, g_ptr_array_index (client->site_ids, i), client);
      if (!user_still_connected (hub, client))
        announce_presence (hub, client, "offline");
      else
        for (guint i = 0; i < client->site_ids->len; i++)
          hub_fanout_agents_online (hub, g_ptr_array_index (client->site_ids, i));
    }

  g_hash_table_remove (hub->clients, client);
}

/* A connection on @ws, its limits set, known to the hub; @ip_hash is taken. (The fuzz target
 * makes its clients here too, on a socket pair.) */
Client *
hub_client_new (ConfabHub       *hub,
                ConfabWebsocket *ws,
                ClientKind       kind,
                char            *ip_hash)
{
  ConfabConfig *config = hub->relay->config;
  Client *client = g_new0 (Client, 1);

  client->hub = hub;
  client->kind = kind;
  client->ws = g_object_ref (ws);
  client->ip_hash = ip_hash;
  confab_token_bucket_init (&client->messages, config->messages_per_minute, 60 * 1000);
  confab_token_bucket_init (&client->typing, config->typing_per_second, 1000);
  confab_token_bucket_init (&client->frames, config->frames_per_second, 1000);
  confab_token_bucket_init (&client->page_views, config->page_views_per_minute, 60 * 1000);
  confab_token_bucket_init (&client->refusals, config->rate_limited_before_close, 60 * 1000);

  /* A message over the limit is closed with 1009 as soon as its header says so. Keepalive
   * pings keep a healthy peer talking (its pongs are frames); a half-open one goes quiet and
   * is dropped after the idle timeout. */
  confab_websocket_set_max_message (ws, config->max_frame_bytes);
  /* client_send_text() checks the data it sends; this covers every frame, pongs included */
  confab_websocket_set_send_limit (ws, config->send_queue_bytes, CONFAB_CLOSE_SLOW_CONSUMER);
  confab_websocket_set_keepalive (ws, config->keepalive_interval);
  confab_websocket_set_idle_timeout (ws, config->idle_timeout);

  g_signal_connect (ws, "message", G_CALLBACK (on_message), client);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), client);
  g_hash_table_add (hub->clients, client);

  return client;
}

static Client *
client_new (ConfabHub         *hub,
            SoupServerMessage *msg,
            ConfabWebsocket   *ws,
            ClientKind         kind)
{
  g_autofree char *ip = confab_http_client_ip (hub->relay, msg);

  return hub_client_new (hub, ws, kind, confab_relay_hash_ip (hub->relay, ip));
}

/* --- upgrades --- */

/* "example.com" allows exactly that host (any port); "*.example.com" its subdomains;
 * "example.com:8443" that host on that port only. */
gboolean
confab_hub_origin_allowed (const ConfabSite *site,
                           const char       *origin)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree char *host = NULL;
  int port;

  if (site->domains == NULL || site->domains[0] == NULL)
    return TRUE;
  if (origin == NULL)
    return FALSE;

  uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return FALSE;
  /* host names compare without case; the patterns are stored in lower case */
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  port = g_uri_get_port (uri);

  for (guint i = 0; site->domains[i]; i++)
    {
      const char *pattern = site->domains[i];
      const char *colon = strrchr (pattern, ':');
      g_autofree char *pattern_host = colon ? g_strndup (pattern, colon - pattern) : g_strdup (pattern);

      if (colon != NULL && atoi (colon + 1) != port)
        continue;

      if (g_str_has_prefix (pattern_host, "*."))
        {
          const char *suffix = pattern_host + 1; /* ".example.com" */
          if (g_str_has_suffix (host, suffix) && strlen (host) > strlen (suffix))
            return TRUE;
        }
      else if (g_ascii_strcasecmp (host, pattern_host) == 0)
        return TRUE;
    }

  return FALSE;
}

static void on_widget_socket (SoupServerMessage *msg,
                              ConfabWebsocket   *ws,
                              gpointer           user_data);
static void on_agent_socket  (SoupServerMessage *msg,
                              ConfabWebsocket   *ws,
                              gpointer           user_data);

/* Runs before the upgrade: setting a status here refuses it. */
static void
handle_widget_upgrade (SoupServer        *server,
                       SoupServerMessage *msg,
                       const char        *path,
                       GHashTable        *query,
                       gpointer           user_data)
{
  ConfabHub *hub = user_data;
  const char *site_key = query ? g_hash_table_lookup (query, "site_key") : NULL;
  const char *origin = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin");
  g_autoptr (ConfabSite) site = NULL;

  if (site_key != NULL)
    site = confab_store_get_site_by_key (hub->relay->store, site_key, NULL);

  if (site == NULL || !site->enabled)
    confab_http_error (msg, SOUP_STATUS_FORBIDDEN, "unknown_site", "No chat is enabled for this site key");
  else if (!confab_hub_origin_allowed (site, origin))
    confab_http_error (msg, SOUP_STATUS_FORBIDDEN, "origin_not_allowed",
                       "This page's origin is not among the site's allowed domains");
  else
    confab_websocket_server_upgrade (msg, on_widget_socket, hub);
}

static void
on_widget_socket (SoupServerMessage *msg,
                  ConfabWebsocket   *ws,
                  gpointer           user_data)
{
  ConfabHub *hub = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  g_autoptr (GHashTable) query = NULL;
  g_autoptr (ConfabSite) site = NULL;
  Client *client;

  if (g_uri_get_query (uri) != NULL)
    query = soup_form_decode (g_uri_get_query (uri));
  site = confab_store_get_site_by_key (hub->relay->store,
                                       query ? g_hash_table_lookup (query, "site_key") : "", NULL);
  if (site == NULL)
    {
      confab_websocket_close (ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "unknown site");
      return;
    }

  client = client_new (hub, msg, ws, CLIENT_VISITOR);
  client->site_id = g_strdup (site->id);
  hub_cluster_site_joined (hub, site->id);

  /* Here, while the request is at hand: the address (behind a trusted proxy, its
   * X-Forwarded-For) goes into the lookup and is forgotten; only the answer waits for hello. */
  {
    g_autofree char *ip = confab_http_client_ip (hub->relay, msg);
    const char *user_agent = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                           "User-Agent");

    client->geo = confab_geo_lookup (hub->relay->geo, ip);
    if (user_agent != NULL && strlen (user_agent) <= MAX_USER_AGENT_CHARS &&
        g_utf8_validate (user_agent, -1, NULL))
      client->header_user_agent = g_strdup (user_agent);
  }
}

static void
handle_agent_upgrade (SoupServer        *server,
                      SoupServerMessage *msg,
                      const char        *path,
                      GHashTable        *query,
                      gpointer           user_data)
{
  ConfabHub *hub = user_data;
  g_autoptr (ConfabUser) user = confab_http_authenticate (hub->relay, msg, NULL);

  /* on failure the 401 is set, which refuses the upgrade */
  if (user != NULL)
    confab_websocket_server_upgrade (msg, on_agent_socket, hub);
}

static void
on_agent_socket (SoupServerMessage *msg,
                 ConfabWebsocket   *ws,
                 gpointer           user_data)
{
  ConfabHub *hub = user_data;
  g_autofree char *token_hash = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (GPtrArray) sites = NULL;
  Client *client;

  /* authenticated again: the token may have been revoked between the two handlers */
  user = confab_http_authenticate (hub->relay, msg, &token_hash);
  if (user == NULL)
    {
      confab_websocket_close (ws, CONFAB_CLOSE_TOKEN_REVOKED, "token revoked");
      return;
    }

  client = client_new (hub, msg, ws, CLIENT_AGENT);
  client->user_id = g_strdup (user->id);
  client->user_name = g_strdup (user->name);
  client->token_hash = g_steal_pointer (&token_hash);
  client->presence = g_strdup ("online");
  client->site_ids = g_ptr_array_new_with_free_func (g_free);

  sites = confab_store_list_sites_for_user (hub->relay->store, user->id, NULL);
  for (guint i = 0; sites && i < sites->len; i++)
    {
      ConfabSite *site = g_ptr_array_index (sites, i);

      g_ptr_array_add (client->site_ids, g_strdup (site->id));
      index_add (hub->site_agents, site->id, client);
      hub_cluster_site_joined (hub, site->id);
    }
  g_ptr_array_add (client->site_ids, NULL);
  g_ptr_array_set_size (client->site_ids, client->site_ids->len - 1);

  announce_presence (hub, client, "online");
}

ConfabHub *
confab_hub_new (ConfabRelay *relay)
{
  ConfabHub *hub = g_new0 (ConfabHub, 1);

  hub->relay = relay;
  hub->clients = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) client_free, NULL);
  hub->visitor_tabs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  hub->site_visitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  hub->site_agents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  hub->site_online = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  hub->outgoing = g_ptr_array_new_with_free_func ((GDestroyNotify) outgoing_free);
  hub->batch_frames = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_frame_free);
  g_queue_init (&hub->parked);
  hub_cluster_init (hub);
  hub_leads_init (hub);
  hub->visitor_updates = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, visitor_updates_free);
  hub->frames_per_ip = confab_shared_limit_new (relay->bus, "frames-ip",
                                                relay->config->frames_per_second_per_ip, 1000);
  hub->hellos_per_ip = confab_shared_limit_new (relay->bus, "hellos-ip",
                                                relay->config->hellos_per_minute_per_ip, 60 * 1000);
  hub->page_views_per_ip = confab_shared_limit_new (relay->bus, "page-views-ip",
                                                    relay->config->page_views_per_minute_per_ip,
                                                    60 * 1000);

  /* The handlers answer the handshake themselves (confab_websocket_server_upgrade): the
   * connections then live on ConfabWebsocket's single epoll set, not on libsoup's sources. */
  /* With [cluster] redis too, on either store: the writer announces its batches to the other
   * relays itself (announce_to_cluster () in confab-hub-writer.c). On SQLite the relays' two
   * connections each take turns on the shared file's write lock, and a writer batch that meets
   * it is held like any frame that does; cursors stay in commit order (one writer at a time). */
  if (relay->config->writer_thread)
    {
      g_autoptr (GError) error = NULL;

      hub->writer = hub_writer_new (hub, &error);
      if (hub->writer == NULL)
        g_warning ("No writer thread, messages are stored on the main loop: %s", error->message);
    }

  soup_server_add_handler (relay->server, "/ws/widget", handle_widget_upgrade, hub, NULL);
  soup_server_add_handler (relay->server, "/ws/agent", handle_agent_upgrade, hub, NULL);

  return hub;
}

void
confab_hub_free (ConfabHub *hub)
{
  if (hub == NULL)
    return;

  /* what the writer holds is stored and answered first */
  g_clear_pointer (&hub->writer, hub_writer_free);
  /* what agents were still to hear of visitors goes into the log */
  visitor_updates_flush (hub);
  hub_commit_batch (hub);
  hub_drop_parked (hub);
  hub_cluster_free (hub);
  hub_leads_free (hub);
  g_hash_table_remove_all (hub->clients);
  g_hash_table_unref (hub->clients);
  g_hash_table_unref (hub->visitor_updates);
  confab_shared_limit_free (hub->frames_per_ip);
  confab_shared_limit_free (hub->hellos_per_ip);
  confab_shared_limit_free (hub->page_views_per_ip);
  g_hash_table_unref (hub->visitor_tabs);
  g_hash_table_unref (hub->site_visitors);
  g_hash_table_unref (hub->site_agents);
  hub_routing_free (hub);
  g_hash_table_unref (hub->site_online);
  g_ptr_array_unref (hub->outgoing);
  g_ptr_array_unref (hub->batch_frames);
  g_free (hub);
}

void
confab_hub_revoke_token (ConfabHub  *hub,
                         const char *token_hash)
{
  GHashTableIter iter;
  gpointer key;

  /* its sockets on the other relays too (a hash, never the token) */
  {
    g_autoptr (JsonObject) frame = confab_frame_new ("revoke");

    json_object_set_string_member (frame, "token_hash", token_hash);
    hub_cluster_tell (hub, NULL, frame);
  }

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *client = key;

      if (client->kind == CLIENT_AGENT && g_strcmp0 (client->token_hash, token_hash) == 0)
        client_close (client, CONFAB_CLOSE_TOKEN_REVOKED, "token revoked");
    }
}

void
confab_hub_user_renamed (ConfabHub  *hub,
                         const char *user_id,
                         const char *name)
{
  GHashTableIter iter;
  gpointer key;
  Client *announced = NULL;

  {
    g_autoptr (JsonObject) frame = confab_frame_new ("user_renamed");

    json_object_set_string_member (frame, "user_id", user_id);
    json_object_set_string_member (frame, "name", name);
    hub_cluster_tell (hub, NULL, frame);
  }

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *client = key;

      if (client->kind == CLIENT_AGENT && g_strcmp0 (client->user_id, user_id) == 0)
        {
          g_free (client->user_name);
          client->user_name = g_strdup (name);
          if (announced == NULL && !client->closing && client->presence != NULL)
            announced = client;
        }
    }

  /* the team's lists show the new name now: presence frames carry it */
  if (announced != NULL)
    announce_presence (hub, announced, announced->presence);
}

void
confab_hub_close_all (ConfabHub *hub)
{
  GHashTableIter iter;
  gpointer key;

  hub_commit_batch (hub);

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    client_close (key, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "relay shutting down");
}

void
confab_hub_site_changed (ConfabHub  *hub,
                         const char *site_id)
{
  g_autoptr (ConfabSite) site = confab_store_get_site (hub->relay->store, site_id, NULL);
  GPtrArray *visitors = index_get (hub->site_visitors, site_id);
  g_autoptr (GPtrArray) snapshot = visitors ? g_ptr_array_copy (visitors, NULL, NULL) : NULL;

  {
    g_autoptr (JsonObject) frame = confab_frame_new ("site_changed");

    json_object_set_string_member (frame, "site_id", site_id);
    hub_cluster_tell (hub, NULL, frame);
  }
  if (site == NULL)
    return;

  for (guint i = 0; snapshot && i < snapshot->len; i++)
    {
      Client *visitor = g_ptr_array_index (snapshot, i);

      visitor->previews_allowed = settings_flag (site, "typing_preview", TRUE);
      if (!site->enabled)
        client_close (visitor, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "site disabled");
    }
}

ConfabMessage *
confab_hub_post_message (ConfabHub                      *hub,
                         const ConfabMessageDraft       *draft,
                         const ConfabConversationStatus *status,
                         ConfabHubPrepareFunc            prepare,
                         gpointer                        user_data,
                         GError                        **error)
{
  ConfabStore *store = hub->relay->store;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  ConfabAppendResult result;
  gboolean changed = FALSE;

  g_return_val_if_fail (draft->conversation_id != NULL, NULL);
  /* the relay's own messages: no client's id to answer twice; a notice's id is the relay's own
   * and new each time (confab_message_asks_email ()) */
  g_return_val_if_fail (draft->client_id == NULL ||
                        g_str_has_prefix (draft->client_id, CONFAB_ASK_EMAIL_CLIENT_PREFIX), NULL);

  if (!hub_begin (hub, error))
    return NULL;

  if (prepare != NULL && !prepare (store, user_data, error))
    goto failed;

  if (status != NULL)
    {
      g_autoptr (ConfabConversation) current = confab_store_get_conversation (store, draft->conversation_id, error);

      if (current == NULL)
        goto failed;
      if (current->status != *status)
        {
          g_autoptr (ConfabConversation) updated = confab_store_set_status (store, current->id, *status, error);

          if (updated == NULL || !announce_conversation (hub, updated, error) ||
              !record_conversation_change (hub, current, updated, NULL, NULL, error))
            goto failed;
        }
    }

  if (!confab_store_append_message (store, draft, &message, &conversation, &changed, &result, error) ||
      (changed && !announce_conversation (hub, conversation, error)))
    goto failed;
  /* the FAQ bot's (or the assistant's) answer in a conversation by e-mail, Messenger or
   * WhatsApp goes back over that channel as an agent's reply does, queued in this transaction */
  if (draft->sender_type == CONFAB_SENDER_BOT && conversation->channel != NULL &&
      g_strcmp0 (conversation->channel, CONFAB_CHANNEL_WEB) != 0 &&
      !hub_channel_outgoing (hub, conversation, message, draft, error))
    goto failed;

  queue_message (hub, message, conversation->site_id, conversation->visitor_id);
  if (!hub_commit (hub, error))
    return NULL;
  hub_flush (hub);
  /* a bot's answer queued for Messenger or WhatsApp goes out now */
  if (message->delivery_status != NULL)
    confab_meta_kick (hub->relay);
  return g_steal_pointer (&message);

failed:
  hub_rollback (hub);
  return NULL;
}

/* Moves @agent's room memberships from its old site list to @sites. */
static void
agent_set_sites (ConfabHub *hub,
                 Client    *agent,
                 GPtrArray *sites)
{
  g_autoptr (GPtrArray) old_ids = g_steal_pointer (&agent->site_ids);
  g_autoptr (GHashTable) touched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (JsonObject) frame = confab_frame_new ("sites");
  JsonArray *list = json_array_new ();
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < old_ids->len; i++)
    {
      index_remove (hub->site_agents, g_ptr_array_index (old_ids, i), agent);
      hub_cluster_site_left (hub, g_ptr_array_index (old_ids, i));
      g_hash_table_add (touched, g_strdup (g_ptr_array_index (old_ids, i)));
    }

  agent->site_ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < sites->len; i++)
    {
      ConfabSite *site = g_ptr_array_index (sites, i);
      JsonObject *entry = json_object_new ();

      g_ptr_array_add (agent->site_ids, g_strdup (site->id));
      index_add (hub->site_agents, site->id, agent);
      hub_cluster_site_joined (hub, site->id);
      g_hash_table_add (touched, g_strdup (site->id));

      json_object_set_string_member (entry, "id", site->id);
      json_object_set_string_member (entry, "name", site->name);
      json_object_set_string_member (entry, "role", confab_role_to_string (site->role));
      confab_site_set_max_chats (hub->relay->store, entry, site->id, agent->user_id);
      json_array_add_object_element (list, entry);
    }
  /* pump_backlog() passes pdata as a NULL-terminated vector */
  g_ptr_array_add (agent->site_ids, NULL);
  g_ptr_array_set_size (agent->site_ids, agent->site_ids->len - 1);

  json_object_set_array_member (frame, "sites", list);
  client_send (agent, frame);

  /* visitors of a site the agent joined or left may see another count of agents online */
  g_hash_table_iter_init (&iter, touched);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    hub_fanout_agents_online (hub, key);
}

void
confab_hub_memberships_changed (ConfabHub  *hub,
                                const char *user_id)
{
  g_autoptr (GPtrArray) agents = g_ptr_array_new ();
  g_autoptr (GPtrArray) sites = NULL;
  g_autoptr (GError) error = NULL;
  GHashTableIter iter;
  gpointer key;

  {
    g_autoptr (JsonObject) frame = confab_frame_new ("memberships_changed");

    json_object_set_string_member (frame, "user_id", user_id);
    hub_cluster_tell (hub, NULL, frame);
  }

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *client = key;

      if (client->kind == CLIENT_AGENT && !client->closing && g_strcmp0 (client->user_id, user_id) == 0)
        g_ptr_array_add (agents, client);
    }
  if (agents->len == 0)
    return;

  sites = confab_store_list_sites_for_user (hub->relay->store, user_id, &error);
  if (sites == NULL)
    {
      /* An agent removed from a site must stop hearing of it; when we cannot tell, it
       * reconnects and learns its sites afresh. */
      g_warning ("Cannot reload an agent's sites: %s", error->message);
      for (guint i = 0; i < agents->len; i++)
        client_close (g_ptr_array_index (agents, i), SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "try again");
      return;
    }

  for (guint i = 0; i < agents->len; i++)
    agent_set_sites (hub, g_ptr_array_index (agents, i), sites);

  /* A new site's team and the user learn of each other now, as at a subscribe (the others of
   * the sites they shared already hear the same again, which changes nothing). */
  {
    Client *first = g_ptr_array_index (agents, 0);

    announce_presence (hub, first, first->presence);
    for (guint i = 0; i < agents->len; i++)
      {
        Client *agent = g_ptr_array_index (agents, i);

        if (agent->subscribed && !agent->syncing && !agent->closing)
          send_team_presence (agent);
      }
  }
}

void
confab_hub_get_stats (ConfabHub *hub,
                      guint     *out_visitors,
                      guint     *out_agents,
                      guint64   *out_queued_bytes)
{
  GHashTableIter iter;
  gpointer key;

  *out_visitors = *out_agents = 0;
  *out_queued_bytes = 0;

  g_hash_table_iter_init (&iter, hub->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Client *client = key;

      if (client->kind == CLIENT_VISITOR)
        (*out_visitors)++;
      else
        (*out_agents)++;
      *out_queued_bytes += confab_websocket_get_buffered (client->ws);
    }
}
