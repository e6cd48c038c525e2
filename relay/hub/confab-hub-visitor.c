/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-visitor.c: the hub's the frames visitors send */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-mail-out.h"
#include "confab-hub-private.h"
#include "confab-hub-cluster.h"
#include "confab-store-data.h"

/* --- visitor frames --- */

gboolean
require_length (Client     *client,
                const char *field,
                const char *value,
                glong       min,
                glong       max,
                const char *ref)
{
  glong length = value ? confab_utf8_length (value) : 0;

  if (length >= min && length <= max)
    return TRUE;

  {
    g_autofree char *message = g_strdup_printf ("“%s” must be %ld to %ld characters", field, min, max);
    client_bad_frame (client, "invalid_value", message, ref);
  }
  return FALSE;
}

gboolean
tabs_online (ConfabHub  *hub,
             const char *visitor_id)
{
  return index_get (hub->visitor_tabs, visitor_id) != NULL;
}

/* --- what agents hear of visitors --- */

/* A visitor who changes page ten times a second is one "visitor" event per interval to every
 * agent, not ten: the first change goes out at once, those that follow within the interval
 * wait for its end and go out as one, read from the store then (so the latest state, never
 * an intermediate one). Like the typing preview's throttle, per visitor. */
typedef struct {
  ConfabHub *hub;
  char      *visitor_id;
  char      *site_id;
  gboolean   pending;   /* a change waits for the end of the interval */
  guint      source;    /* the interval's end */
} VisitorUpdate;

void
visitor_updates_free (gpointer data)
{
  VisitorUpdate *update = data;

  g_clear_handle_id (&update->source, g_source_remove);
  g_free (update->visitor_id);
  g_free (update->site_id);
  g_free (update);
}

static void
visitor_update_send (VisitorUpdate *update)
{
  update->pending = FALSE;
  /* online or not is what it is now: a departure waiting here may have been undone by a
   * new tab, and the other way round */
  announce_visitor (update->hub, update->site_id, update->visitor_id,
                    tabs_online (update->hub, update->visitor_id));
}

static gboolean
on_visitor_update_due (gpointer user_data)
{
  VisitorUpdate *update = user_data;

  if (!update->pending)
    {
      /* a quiet interval: the next change goes out at once */
      update->source = 0;
      g_hash_table_remove (update->hub->visitor_updates, update->visitor_id);
      return G_SOURCE_REMOVE;
    }

  visitor_update_send (update);
  return G_SOURCE_CONTINUE;
}

/* The visitor arrived, changed page, said who they are or left: agents hear of it, now or at
 * the end of the current interval. */
void
visitor_changed (ConfabHub  *hub,
                 const char *site_id,
                 const char *visitor_id)
{
  guint interval = hub->relay->config->visitor_update_ms;
  VisitorUpdate *update;

  if (interval == 0)
    {
      announce_visitor (hub, site_id, visitor_id, tabs_online (hub, visitor_id));
      return;
    }

  update = g_hash_table_lookup (hub->visitor_updates, visitor_id);
  if (update != NULL)
    {
      update->pending = TRUE;
      return;
    }

  update = g_new0 (VisitorUpdate, 1);
  update->hub = hub;
  update->visitor_id = g_strdup (visitor_id);
  update->site_id = g_strdup (site_id);
  g_hash_table_insert (hub->visitor_updates, update->visitor_id, update);
  update->source = g_timeout_add (interval, on_visitor_update_due, update);
  visitor_update_send (update);
}

/* Sends what is waiting (the relay is stopping). */
void
visitor_updates_flush (ConfabHub *hub)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, hub->visitor_updates);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((VisitorUpdate *) value)->pending)
      visitor_update_send (value);
}

void
visitor_updates_drop_site (ConfabHub  *hub,
                           const char *site_id)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, hub->visitor_updates);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((VisitorUpdate *) value)->site_id, site_id) == 0)
      g_hash_table_iter_remove (&iter);
}

gboolean
confab_hub_visitor_online (ConfabHub  *hub,
                           const char *visitor_id)
{
  return tabs_online (hub, visitor_id);
}

gboolean
settings_flag (const ConfabSite *site,
               const char       *flag,
               gboolean          default_value)
{
  g_autoptr (JsonObject) settings = NULL;

  if (site->settings_json == NULL)
    return default_value;

  settings = confab_json_parse_object (site->settings_json, strlen (site->settings_json),
                                       G_MAXSIZE, MAX_FRAME_DEPTH, NULL);
  if (settings == NULL || !json_object_has_member (settings, flag) ||
      !JSON_NODE_HOLDS_VALUE (json_object_get_member (settings, flag)))
    return default_value;

  return json_object_get_boolean_member (settings, flag);
}

static gboolean
token_matches (const char *stored_hash,
               const char *token)
{
  g_autofree char *hash = NULL;
  guchar difference = 0;
  gsize len;

  if (stored_hash == NULL || token == NULL)
    return FALSE;

  hash = confab_sha256_hex (token);
  len = strlen (hash);
  if (strlen (stored_hash) != len)
    return FALSE;

  /* constant time: the comparison must not tell how much of a guess was right */
  for (gsize i = 0; i < len; i++)
    difference |= hash[i] ^ stored_hash[i];
  return difference == 0;
}

/* hello's optional "name", "email" (the pre-chat form) and "consent":{"given_at":RFC 3339}.
 * A consent time in the future (a wrong clock) is taken as now. FALSE after an error frame. */
static gboolean
visitor_hello_identity (Client      *client,
                        JsonObject  *frame,
                        const char **name,
                        const char **email,
                        gint64      *consent_at)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) given = NULL;
  JsonObject *consent = NULL;
  const char *given_at = NULL;

  if (!confab_json_get_string (frame, "name", FALSE, name, &error) ||
      !confab_json_get_string (frame, "email", FALSE, email, &error) ||
      !confab_json_get_object (frame, "consent", FALSE, &consent, &error) ||
      (consent != NULL && !confab_json_get_string (consent, "given_at", TRUE, &given_at, &error)))
    {
      client_bad_gerror (client, error, NULL);
      return FALSE;
    }
  if ((*name && !require_length (client, "name", *name, 1, MAX_NAME_CHARS, NULL)) ||
      (*email && !require_length (client, "email", *email, 3, MAX_EMAIL_CHARS, NULL)))
    return FALSE;
  if (*email && (strchr (*email, '@') == NULL || strchr (*email, ' ') != NULL))
    {
      client_bad_frame (client, "invalid_value", "“email” is not an e-mail address", NULL);
      return FALSE;
    }
  if (given_at != NULL)
    {
      given = g_date_time_new_from_iso8601 (given_at, NULL);
      if (given == NULL)
        {
          client_bad_frame (client, "invalid_value", "“consent.given_at” is not an RFC 3339 time", NULL);
          return FALSE;
        }
      *consent_at = MIN (g_date_time_to_unix (given) * 1000 + g_date_time_get_microsecond (given) / 1000,
                         confab_now_ms ());
      if (*consent_at <= 0)
        {
          client_bad_frame (client, "invalid_value", "“consent.given_at” is before 1970", NULL);
          return FALSE;
        }
    }
  return TRUE;
}

/* The browser's time zone goes to every agent's app, which asks GLib for the zone: a path
 * there would be a file opened on the agent's machine. Browsers report IANA names. */
static gboolean
require_zone_name (Client     *client,
                   const char *timezone)
{
  if (confab_is_iana_zone_name (timezone))
    return TRUE;
  client_bad_frame (client, "invalid_value",
                    "“timezone” must be an IANA time zone name such as “Europe/Berlin”", NULL);
  return FALSE;
}

static void
visitor_hello (Client     *client,
               JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  ConfabStore *store = hub->relay->store;
  const char *visitor_id = NULL, *visitor_token = NULL, *locale = NULL, *timezone = NULL;
  const char *user_agent = NULL, *fingerprint = NULL, *url = NULL, *title = NULL;
  const char *name = NULL, *email = NULL;
  JsonObject *page = NULL;
  gint64 consent_at = 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autofree char *new_token = NULL;
  ConfabVisitorInfo info = { 0 };
  ConfabVisitorContext context = { 0 };
  ConfabDevice device;
  gboolean first_tab, fingerprints;

  if (client->visitor_id != NULL)
    {
      client_bad_frame (client, "already_hello", "This connection has said hello already", NULL);
      return;
    }

  /* Each hello may store a new visitor: one address cannot make them without end. A hello
   * held for another relay's lock and run again paid when it came (take_message_tokens ()). */
  if (client->prepaid > 0)
    client->prepaid--;
  else
    {
      guint retry = 0;

      if (!confab_shared_limit_take (hub->hellos_per_ip, client->ip_hash,
                                     confab_rate_limit_now_ms (), &retry))
        {
          client_rate_limited (client, retry, NULL);
          return;
        }
    }
  if (hub->holding == client)
    hub->holding_paid = TRUE;

  if (!confab_json_get_string (frame, "visitor_id", FALSE, &visitor_id, &error) ||
      !confab_json_get_string (frame, "visitor_token", FALSE, &visitor_token, &error) ||
      !confab_json_get_string (frame, "locale", FALSE, &locale, &error) ||
      !confab_json_get_string (frame, "timezone", FALSE, &timezone, &error) ||
      !confab_json_get_string (frame, "user_agent", FALSE, &user_agent, &error) ||
      !confab_json_get_string (frame, "fingerprint", FALSE, &fingerprint, &error) ||
      !confab_json_get_object (frame, "page", FALSE, &page, &error) ||
      (page != NULL && !confab_json_get_string (page, "url", FALSE, &url, &error)) ||
      (page != NULL && !confab_json_get_string (page, "title", FALSE, &title, &error)))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }

  if ((locale && !require_length (client, "locale", locale, 1, 35, NULL)) ||
      (timezone && !require_length (client, "timezone", timezone, 1, 64, NULL)) ||
      (timezone && !require_zone_name (client, timezone)) ||
      (user_agent && !require_length (client, "user_agent", user_agent, 0, MAX_USER_AGENT_CHARS, NULL)) ||
      (fingerprint && !require_length (client, "fingerprint", fingerprint, 1, 128, NULL)) ||
      (url && !require_length (client, "url", url, 1, MAX_URL_CHARS, NULL)) ||
      (title && !require_length (client, "title", title, 0, MAX_TITLE_CHARS, NULL)))
    return;

  /* The widget's pre-chat form and GDPR consent (issue 4). */
  if (!visitor_hello_identity (client, frame, &name, &email, &consent_at))
    return;

  /* What hello writes (visitor, page view, arrival event) goes into the batch, in one fsync,
   * as one unit: one that meets another relay's lock is undone whole and the hello held and run
   * again (dispatch_in_batch ()), so nothing of the connection changes before it is through. */
  site = confab_store_get_site (store, client->site_id, &error);
  if (site == NULL || !hub_begin (hub, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }

  /* The widget's own report wins over the upgrade's header: a proxy may rewrite the latter. */
  confab_device_parse_full (user_agent != NULL ? user_agent : client->header_user_agent, &device);
  fingerprints = settings_flag (site, "fingerprint", FALSE);
  info.locale = locale;
  info.timezone = timezone;
  info.browser = device.browser;
  info.os = device.os;
  info.fingerprint = fingerprints ? fingerprint : NULL;
  info.name = name;
  info.email = email;

  if (visitor_id != NULL && visitor_token != NULL)
    {
      visitor = confab_store_get_visitor (store, visitor_id, NULL);
      /* A wrong token, or a visitor of another site, is treated exactly like an unknown id:
       * the client starts afresh and learns nothing about whoever owns that id. */
      if (visitor != NULL &&
          (g_strcmp0 (visitor->site_id, client->site_id) != 0 ||
           !token_matches (visitor->token_hash, visitor_token)))
        g_clear_pointer (&visitor, confab_visitor_free);
    }

  /* A blocked visitor (by id, or by address once their storage is cleared) is told so
   * politely, and nothing about them is written. */
  if (confab_store_is_blocked (store, client->site_id, visitor != NULL ? visitor->id : NULL,
                               client->ip_hash))
    {
      hub_rollback (hub);
      hub_refuse_blocked (client);
      return;
    }

  first_tab = visitor == NULL || !tabs_online (hub, visitor->id);

  if (visitor != NULL)
    {
      gint64 new_visit_after = (gint64) hub->relay->config->new_visit_after_minutes * 60 * 1000;
      gboolean new_visit = first_tab && confab_now_ms () - visitor->last_seen > new_visit_after;
      ConfabVisitor *touched = confab_store_touch_visitor (store, visitor->id, &info, new_visit, &error);

      if (touched == NULL)
        goto failed;
      confab_visitor_free (visitor);
      visitor = touched;
    }
  else
    {
      g_autofree char *token_hash = NULL;
      g_autoptr (ConfabVisitor) previous = NULL;

      /* Storage cleared, same browser: where the site allows it, the fingerprint finds who this
       * was. A fingerprint is no secret (it can be guessed or copied), so it earns recognition
       * for the agents only, never access: the newcomer gets a visitor of their own (new id,
       * new token; the old token stays valid for whoever holds it) linked to the earlier one.
       * Agents see one person (linked_to, visits + 1, the journey and conversations of the
       * chain); everything the visitor side reaches is keyed by visitor id (the current
       * conversation, resume, live fan-out to tabs, uploads), so none of the earlier
       * conversations, messages, name or e-mail reach this connection. */
      if (fingerprints && fingerprint != NULL && visitor_id == NULL)
        previous = confab_store_find_visitor_by_fingerprint (store, client->site_id, fingerprint,
                                                             NULL);

      new_token = confab_auth_new_visitor_token ();
      token_hash = confab_sha256_hex (new_token);
      visitor = confab_store_create_visitor (store, client->site_id, token_hash, &info, &error);
      if (visitor == NULL)
        goto failed;

      if (previous != NULL)
        {
          ConfabVisitor *linked = confab_store_link_visitor (store, visitor->id, previous->id,
                                                             &error);

          if (linked == NULL)
            {
              /* They are still served, only not recognised. */
              g_warning ("Visitor re-link lost: %s", error->message);
              g_clear_error (&error);
            }
          else
            {
              confab_visitor_free (visitor);
              visitor = linked;
            }
        }
    }

  /* An unknown location (a private address, no database) keeps what was known: better an
   * earlier city than none. A User-Agent always tells the whole device anew. */
  context.geo_known = client->geo != NULL;
  if (client->geo != NULL)
    {
      context.country = client->geo->country;
      context.country_name = client->geo->country_name;
      context.city = client->geo->city;
      context.geo_timezone = client->geo->timezone;
    }
  context.device_known = (user_agent != NULL ? user_agent : client->header_user_agent) != NULL;
  context.ip_hash = client->ip_hash;
  context.browser = device.browser;
  context.browser_version = device.browser_version[0] ? device.browser_version : NULL;
  context.os = device.os;
  context.os_version = device.os_version[0] ? device.os_version : NULL;
  context.device_type = device.type;
  /* Lost rather than the visitor refused, unless another relay's lock was in the way: then the
   * whole hello waits and runs again. */
  if (!confab_store_set_visitor_context (store, visitor->id, &context, &error))
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
        goto failed;
      g_warning ("Visitor context lost: %s", error->message);
      g_clear_error (&error);
    }

  if (url != NULL &&
      !confab_store_add_page_view (store, visitor->id, url, title, confab_now_ms (), &error))
    {
      if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
        goto failed;
      g_warning ("Page view lost: %s", error->message);
    }
  g_clear_error (&error);

  if (consent_at > 0 && !confab_store_set_visitor_consent (store, visitor->id, consent_at, &error))
    goto failed;
  if (!hub_commit (hub, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }

  client->visitor_id = g_strdup (visitor->id);
  client->visitor_name = g_strdup (visitor->name);
  client->previews_allowed = settings_flag (site, "typing_preview", TRUE);
  index_add (hub->visitor_tabs, visitor->id, client);
  index_add (hub->site_visitors, client->site_id, client);

  conversation = confab_store_get_current_conversation (store, visitor->id, NULL);
  g_clear_pointer (&client->conversation_id, g_free);
  if (conversation != NULL)
    client->conversation_id = g_strdup (conversation->id);

  welcome = confab_frame_new ("welcome");
  json_object_set_string_member (welcome, "visitor_id", visitor->id);
  json_object_set_string_member (welcome, "visitor_token", new_token ? new_token : visitor_token);
  if (conversation != NULL)
    json_object_set_object_member (welcome, "conversation",
                                   confab_conversation_to_json (store, conversation, CONFAB_AUDIENCE_VISITOR));
  else
    json_object_set_null_member (welcome, "conversation");
  json_object_set_int_member (welcome, "agents_online", confab_hub_agents_online (hub, client->site_id));
  {
    /* issue 18: a reload shows the place in the queue */
    JsonObject *queue = conversation ? hub_route_queue_json (hub, conversation->id) : NULL;

    if (queue != NULL)
      json_object_set_object_member (welcome, "queue", queue);
    else
      json_object_set_null_member (welcome, "queue");
  }
  /* the visitor token in it is good once the batch holding the visitor is stored */
  queue_for_client (hub, client, welcome, NULL);

  /* A second tab of a visitor already online is no arrival, but its page is news, and so are
   * the details of the pre-chat form and a consent. */
  if (first_tab || url != NULL || name != NULL || email != NULL || consent_at > 0)
    visitor_changed (hub, client->site_id, visitor->id);
  return;

failed:
  hub_rollback (hub);
  client_store_failed (client, error, NULL);
}

static void
visitor_message (Client     *client,
                 JsonObject *frame)
{
  const char *client_id = NULL, *body = NULL, *attachment_id = NULL;
  ConfabMessageDraft draft = { 0 };

  if (!read_message_fields (client, frame, &client_id, &body, &attachment_id))
    return;
  /* "off_" client ids mark the offline messages agents turned into conversations */
  if (g_str_has_prefix (client_id, "off_"))
    {
      client_bad_frame (client, "invalid_value", "“client_id” must not begin with “off_”", client_id);
      return;
    }
  if (!take_message_tokens (client, client_id))
    return;
  /* issue 18: the team the page or the visitor chose, for the next new conversation; a key
   * the site does not have is ignored when it starts (hub_route_new_conversation ()) */
  {
    JsonNode *team = json_object_get_member (frame, "team");

    if (team != NULL && JSON_NODE_HOLDS_VALUE (team) &&
        json_node_get_value_type (team) == G_TYPE_STRING &&
        strlen (json_node_get_string (team)) <= 40)
      {
        g_free (client->route_team);
        client->route_team = g_strdup (json_node_get_string (team));
      }
  }
  hub_engage_visitor_message (client, body);

  draft.site_id = client->site_id;
  draft.visitor_id = client->visitor_id;
  draft.client_id = client_id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = client->visitor_id;
  draft.sender_name = client->visitor_name;
  draft.body = body;
  draft.attachment_id = attachment_id;
  if (hub_writer_takes (client, frame))
    hub_writer_queue (client, &draft);
  else
    deliver_message (client, &draft);
}

static void
send_preview (Client     *client,
              const char *text,
              gboolean    active)
{
  g_autoptr (JsonObject) frame = confab_frame_new ("typing_preview");
  g_autofree char *serialised = NULL;

  json_object_set_string_member (frame, "site_id", client->site_id);
  /* null before the visitor's first message: the text that will become it */
  if (client->conversation_id != NULL)
    json_object_set_string_member (frame, "conversation_id", client->conversation_id);
  else
    json_object_set_null_member (frame, "conversation_id");
  json_object_set_string_member (frame, "visitor_id", client->visitor_id);
  if (client->previews_allowed || !active)
    json_object_set_string_member (frame, "text", active ? text : "");
  else
    json_object_set_null_member (frame, "text");
  json_object_set_boolean_member (frame, "active", active);

  serialised = confab_frame_to_string (frame);
  hub_cluster_fanout_agents (client->hub, client->site_id, serialised);
  client->last_preview_ms = confab_rate_limit_now_ms ();
  client->preview_shown = active && *text != '\0';
}

static gboolean
flush_preview (gpointer user_data)
{
  Client *client = user_data;
  g_autofree char *text = g_steal_pointer (&client->pending_preview);

  client->preview_source = 0;
  if (text != NULL)
    send_preview (client, text, TRUE);

  return G_SOURCE_REMOVE;
}

static void
visitor_typing (Client     *client,
                JsonObject *frame,
                gboolean    stop)
{
  const char *preview = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = confab_rate_limit_now_ms ();
  guint retry = 0;

  if (!stop)
    {
      if (!confab_json_get_string (frame, "preview", FALSE, &preview, &error))
        {
          client_bad_gerror (client, error, NULL);
          return;
        }
      if (preview != NULL && !require_length (client, "preview", preview, 0, MAX_BODY_CHARS, NULL))
        return;
    }

  if (!confab_token_bucket_take (&client->typing, now, &retry) ||
      !confab_shared_limit_take (client->hub->relay->typing_per_ip, client->ip_hash, now, &retry))
    {
      client_rate_limited (client, retry, NULL);
      return;
    }

  if (stop || preview == NULL || *preview == '\0')
    {
      g_clear_handle_id (&client->preview_source, g_source_remove);
      g_clear_pointer (&client->pending_preview, g_free);
      send_preview (client, "", !stop && preview != NULL);
      return;
    }

  /* Throttle to one preview per interval; the latest text always goes out. */
  g_free (client->pending_preview);
  client->pending_preview = g_strdup (preview);
  if (client->preview_source == 0)
    {
      gint64 wait = client->last_preview_ms + PREVIEW_INTERVAL_MS - now;

      if (wait <= 0)
        flush_preview (client);
      else
        client->preview_source = g_timeout_add ((guint) wait, flush_preview, client);
    }
}

void
preview_tab_closed (Client *client)
{
  GPtrArray *tabs;

  g_clear_handle_id (&client->preview_source, g_source_remove);
  g_clear_pointer (&client->pending_preview, g_free);
  if (!client->preview_shown)
    return;

  /* another tab of the visitor may still be typing: the last one to close clears */
  tabs = index_get (client->hub->visitor_tabs, client->visitor_id);
  if (tabs != NULL && tabs->len > 0)
    {
      ((Client *) g_ptr_array_index (tabs, 0))->preview_shown = TRUE;
      return;
    }
  send_preview (client, "", FALSE);
}

static void
visitor_page_view (Client     *client,
                   JsonObject *frame)
{
  const char *url = NULL, *title = NULL;
  g_autoptr (GError) error = NULL;

  if (!confab_json_get_string (frame, "url", TRUE, &url, &error) ||
      !confab_json_get_string (frame, "title", FALSE, &title, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if (!require_length (client, "url", url, 1, MAX_URL_CHARS, NULL) ||
      (title && !require_length (client, "title", title, 0, MAX_TITLE_CHARS, NULL)))
    return;

  /* Each one is a row of the journey: a visitor clicking through pages is far below these. */
  {
    gint64 now = confab_rate_limit_now_ms ();
    guint retry = 0;

    if (!confab_token_bucket_take (&client->page_views, now, &retry) ||
        !confab_shared_limit_take (client->hub->page_views_per_ip, client->ip_hash, now, &retry))
      {
        client_rate_limited (client, retry, NULL);
        return;
      }
  }

  if (!confab_store_add_page_view (client->hub->relay->store, client->visitor_id, url, title,
                                   confab_now_ms (), &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }

  visitor_changed (client->hub, client->site_id, client->visitor_id);
}

static void
send_messages_after (Client     *client,
                     const char *current_id,
                     gint64      after_seq)
{
  ConfabStore *store = client->hub->relay->store;
  g_autoptr (JsonObject) synced = confab_frame_new ("synced");
  g_autoptr (GError) error = NULL;
  /* a copy: settling answers the messages handed to the writer, which may give the client's
   * tabs their conversation anew (client->conversation_id is what the caller passed) */
  g_autofree char *conversation_id = g_strdup (current_id);
  gint64 seq = after_seq;

  hub_settle_batch (client->hub);
  while (conversation_id != NULL)
    {
      g_autoptr (GPtrArray) batch = confab_store_list_messages (store, conversation_id, seq,
                                                                BACKLOG_BATCH, &error);
      if (batch == NULL)
        {
          client_store_failed (client, error, NULL);
          return;
        }

      for (guint i = 0; i < batch->len; i++)
        {
          ConfabMessage *message = g_ptr_array_index (batch, i);
          g_autoptr (JsonObject) frame = message_frame (message, NULL, CONFAB_AUDIENCE_VISITOR);

          if (!client_send (client, frame))
            return;
          seq = message->seq;
        }

      if (batch->len < BACKLOG_BATCH)
        break;
    }

  if (conversation_id != NULL)
    json_object_set_string_member (synced, "conversation_id", conversation_id);
  json_object_set_int_member (synced, "seq", seq);
  client_send (client, synced);
}

static void
visitor_resume (Client     *client,
                JsonObject *frame)
{
  gint64 after_seq = 0;
  g_autoptr (GError) error = NULL;

  if (!confab_json_get_int (frame, "after_seq", TRUE, 0, &after_seq, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if (after_seq < 0)
    {
      client_bad_frame (client, "invalid_value", "“after_seq” must be 0 or more", NULL);
      return;
    }

  send_messages_after (client, client->conversation_id, after_seq);
}

/* The visitor's current conversation, or NULL after telling them there is none. */
static ConfabConversation *
visitor_conversation (Client *client)
{
  ConfabConversation *conversation = NULL;

  if (client->conversation_id != NULL)
    conversation = confab_store_get_conversation (client->hub->relay->store, client->conversation_id, NULL);

  if (conversation == NULL)
    client_bad_frame (client, "no_conversation", "There is no conversation yet", NULL);

  return conversation;
}

static void
visitor_read (Client     *client,
              JsonObject *frame)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) updated = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) receipt = NULL;
  g_autofree char *text = NULL;
  gint64 seq = 0;

  if (!confab_json_get_int (frame, "seq", TRUE, 0, &seq, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if ((conversation = visitor_conversation (client)) == NULL)
    return;
  if (seq < 0 || seq > conversation->last_seq)
    {
      client_bad_frame (client, "invalid_value", "“seq” is not a message of this conversation", NULL);
      return;
    }

  /* A unit of its own: a statement that fails (another relay's lock on the conversation's
   * row) is undone without the batch around it, and the read held and run again. */
  if (!hub_begin (client->hub, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }
  updated = confab_store_mark_read (client->hub->relay->store, conversation->id,
                                    CONFAB_SENDER_VISITOR, seq, &error);
  if (updated == NULL)
    {
      hub_rollback (client->hub);
      client_store_failed (client, error, NULL);
      return;
    }
  if (!hub_commit (client->hub, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }

  /* Read receipts are live only: the next conversation event carries visitor_read_seq. */
  receipt = confab_frame_new ("read");
  json_object_set_string_member (receipt, "site_id", conversation->site_id);
  json_object_set_string_member (receipt, "conversation_id", conversation->id);
  json_object_set_string_member (receipt, "reader", "visitor");
  json_object_set_int_member (receipt, "seq", updated->visitor_read_seq);
  text = confab_frame_to_string (receipt);
  hub_cluster_fanout_agents (client->hub, conversation->site_id, text);
}

/* The rating as the conversation object carries it, in the "rating" frame too. */
static gboolean
add_rating_object (ConfabHub                *hub,
                   const ConfabConversation *conversation,
                   JsonObject               *event,
                   GError                  **error)
{
  JsonObject *rating = confab_rating_to_json (hub->relay->store, conversation->id);

  if (rating == NULL)
    {
      g_set_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FAILED, "Cannot read the rating back");
      return FALSE;
    }
  json_object_set_object_member (event, "rating", rating);
  return TRUE;
}

/* The "rated" timeline event, with the rating as @event has it. */
static gboolean
record_rated (ConfabHub                *hub,
              const ConfabConversation *conversation,
              JsonObject               *event,
              GError                  **error)
{
  g_autoptr (JsonObject) extra = json_object_new ();

  json_object_set_object_member (extra, "rating",
                                 json_object_ref (json_object_get_object_member (event, "rating")));
  return record_timeline (hub, conversation, "rated", NULL, NULL, NULL, extra, error);
}

static void
visitor_rate (Client     *client,
              JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) event = NULL;
  const char *comment = NULL;
  gint64 score = 0;

  if (!confab_json_get_int (frame, "score", TRUE, 0, &score, &error) ||
      !confab_json_get_string (frame, "comment", FALSE, &comment, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if (score < 1 || score > 5)
    {
      client_bad_frame (client, "invalid_value", "“score” must be from 1 to 5", NULL);
      return;
    }
  if (comment != NULL && !require_length (client, "comment", comment, 0, MAX_COMMENT_CHARS, NULL))
    return;
  if ((conversation = visitor_conversation (client)) == NULL)
    return;
  /* each one is stored and told to every agent, like a message */
  if (!take_message_tokens (client, NULL))
    return;

  event = confab_frame_new ("rating");
  json_object_set_string_member (event, "site_id", conversation->site_id);
  json_object_set_string_member (event, "conversation_id", conversation->id);
  json_object_set_int_member (event, "score", score);
  if (comment != NULL)
    json_object_set_string_member (event, "comment", comment);
  else
    json_object_set_null_member (event, "comment");

  if (!hub_begin (hub, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }
  if (!confab_store_set_rating (hub->relay->store, conversation->id, (int) score, comment, &error) ||
      !add_rating_object (hub, conversation, event, &error) ||
      !persist_rating (hub, conversation->site_id, conversation->id, event, &error) ||
      !record_rated (hub, conversation, event, &error))
    {
      hub_rollback (hub);
      client_store_failed (client, error, NULL);
      return;
    }
  if (!hub_commit (hub, &error))
    {
      client_store_failed (client, error, NULL);
      return;
    }
  hub_flush (hub);

  {
    g_autoptr (JsonObject) thanks = confab_frame_new ("rated");
    json_object_set_string_member (thanks, "conversation_id", conversation->id);
    json_object_set_int_member (thanks, "score", score);
    client_send (client, thanks);
  }
}

static void
visitor_leave_message (Client     *client,
                       JsonObject *frame)
{
  ConfabHub *hub = client->hub;
  ConfabStore *store = hub->relay->store;
  const char *name = NULL, *email = NULL, *body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr (ConfabVisitor) touched = NULL;
  ConfabVisitorInfo info = { 0 };

  if (!confab_json_get_string (frame, "name", FALSE, &name, &error) ||
      !confab_json_get_string (frame, "email", TRUE, &email, &error) ||
      !confab_json_get_string (frame, "body", TRUE, &body, &error))
    {
      client_bad_gerror (client, error, NULL);
      return;
    }
  if ((name && !require_length (client, "name", name, 0, MAX_NAME_CHARS, NULL)) ||
      !require_length (client, "email", email, 3, MAX_EMAIL_CHARS, NULL) ||
      !require_length (client, "body", body, 1, MAX_BODY_CHARS, NULL))
    return;
  if (strchr (email, '@') == NULL || strchr (email, ' ') != NULL)
    {
      client_bad_frame (client, "invalid_value", "“email” is not an e-mail address", NULL);
      return;
    }
  if (!take_message_tokens (client, NULL))
    return;

  if (!hub_begin (hub, &error))
    goto not_stored;

  id = confab_store_add_offline_message (store, client->site_id, client->visitor_id,
                                         name, email, body, &error);
  info.name = name && *name ? name : NULL;
  info.email = email;
  if (id == NULL)
    goto failed;
  /* the visitor it returns was leaked once per offline message (found by tests/fuzz) */
  touched = confab_store_touch_visitor (store, client->visitor_id, &info, FALSE, &error);
  if (touched == NULL)
    goto failed;

  if (!announce_new_offline_message (hub, id, &error))
    goto failed;
  /* issue 18: a message instead of waiting: out of the queue (open, unassigned) */
  if (client->conversation_id != NULL &&
      !hub_route_leave_queue (hub, client->conversation_id, &error))
    goto failed;
  /* the agents who want it by mail: queued in the same unit, sent once it is durable */
  if (!confab_mail_notify_offline (hub->relay, id, &error))
    goto failed;
  if (!hub_commit (hub, &error))
    goto not_stored;

  if (info.name != NULL)
    {
      g_free (client->visitor_name);
      client->visitor_name = g_strdup (info.name);
    }

  {
    g_autoptr (JsonObject) answer = confab_frame_new ("left_message");
    json_object_set_string_member (answer, "id", id);
    client_send (client, answer);
  }
  hub_flush (hub);
  return;

failed:
  hub_rollback (hub);
not_stored:
  client_store_failed (client, error, NULL);
}

/* talk_to_human, faq_feedback: the FAQ bot's frames (confab-faq.c) */
static void
visitor_faq_frame (Client     *client,
                   const char *type,
                   JsonObject *frame)
{
  ConfabFaqVisitor visitor = { client->site_id, client->visitor_id, client->conversation_id };
  g_autoptr (JsonObject) reply = NULL;
  g_autoptr (GError) error = NULL;

  if (!confab_faq_visitor_frame (client->hub->relay, &visitor, type, frame, &reply, &error))
    {
      const char *code = confab_faq_error_code (error);

      if (code != NULL)
        client_bad_frame (client, code, error->message, NULL);
      else
        client_store_failed (client, error, NULL);
      return;
    }
  if (reply == NULL)
    return;
  /* a vote shows as chosen in every tab of the visitor, on every relay */
  if (strcmp (type, "faq_feedback") == 0)
    {
      json_object_set_string_member (reply, "conversation_id", client->conversation_id);
      hub_cluster_fanout_visitor (client->hub, client->site_id, client->visitor_id, reply);
    }
  else
    client_send (client, reply);
}

/* Every frame a visitor sends costs a token of its connection and of its address, whatever
 * its type (the types with costs of their own, hello, page_view, message, typing, take those
 * too). FALSE after a rate_limited error frame. */
static gboolean
visitor_frame_allowed (Client     *client,
                       JsonObject *frame)
{
  gint64 now = confab_rate_limit_now_ms ();
  guint retry = 0;

  if (confab_token_bucket_take (&client->frames, now, &retry) &&
      confab_shared_limit_take (client->hub->frames_per_ip, client->ip_hash, now, &retry))
    return TRUE;

  {
    const char *client_id = NULL;

    /* a refused message names itself, so that the widget can mark it failed */
    confab_json_get_string (frame, "client_id", FALSE, &client_id, NULL);
    client_rate_limited (client, retry, client_id);
  }
  return FALSE;
}

void
handle_visitor_frame (Client     *client,
                      const char *type,
                      JsonObject *frame)
{
  if (!visitor_frame_allowed (client, frame))
    return;

  if (strcmp (type, "hello") == 0)
    return visitor_hello (client, frame);

  if (strcmp (type, "ping") == 0)
    {
      g_autoptr (JsonObject) pong = confab_frame_new ("pong");
      client_send (client, pong);
      return;
    }

  if (client->visitor_id == NULL)
    {
      const char *client_id = NULL;

      confab_json_get_string (frame, "client_id", FALSE, &client_id, NULL);
      client_bad_frame (client, "hello_required", "Send “hello” first", client_id);
      return;
    }

  if (strcmp (type, "message") == 0)
    visitor_message (client, frame);
  else if (strcmp (type, "typing") == 0)
    visitor_typing (client, frame, FALSE);
  else if (strcmp (type, "typing_stop") == 0)
    visitor_typing (client, frame, TRUE);
  else if (strcmp (type, "page_view") == 0)
    visitor_page_view (client, frame);
  else if (strcmp (type, "resume") == 0)
    visitor_resume (client, frame);
  else if (strcmp (type, "read") == 0)
    visitor_read (client, frame);
  else if (strcmp (type, "rate") == 0)
    visitor_rate (client, frame);
  else if (strcmp (type, "leave_message") == 0)
    visitor_leave_message (client, frame);
  else if (confab_faq_is_visitor_frame (type))
    visitor_faq_frame (client, type, frame);
  else if (hub_engage_is_frame (type))
    hub_engage_frame (client, type, frame);
  else
    client_bad_frame (client, "unknown_type", "Unknown frame type", NULL);
}
