/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-objects"

#include "confab-objects.h"
#include "confab-store-routing.h"
#include "confab-engage.h"
#include "confab-chat.h"
#include "confab-avatars.h"
#include "confab-json.h"
#include "confab-store-targets.h"
#include "confab-util.h"

static void
set_time (JsonObject *object,
          const char *member,
          gint64      unix_ms)
{
  g_autofree char *text = NULL;

  if (unix_ms <= 0)
    {
      json_object_set_null_member (object, member);
      return;
    }

  text = confab_format_time (unix_ms);
  json_object_set_string_member (object, member, text);
}

static void
set_string_or_null (JsonObject *object,
                    const char *member,
                    const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

JsonObject *
confab_user_to_json (const ConfabUser *user)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "id", user->id);
  json_object_set_string_member (object, "email", user->email);
  set_string_or_null (object, "name", user->name);
  {
    g_autofree char *avatar_url = confab_avatar_url (user->id);

    set_string_or_null (object, "avatar_url", avatar_url);
  }

  return object;
}

static gboolean assistant_available;

void
confab_objects_set_assistant_available (gboolean available)
{
  assistant_available = available;
}

JsonObject *
confab_site_to_json (const ConfabSite *site)
{
  JsonObject *object = json_object_new ();
  JsonArray *domains = json_array_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();

  json_object_set_string_member (object, "id", site->id);
  json_object_set_string_member (object, "name", site->name);
  json_object_set_string_member (object, "site_key", site->site_key);
  for (guint i = 0; site->domains && site->domains[i]; i++)
    json_array_add_string_element (domains, site->domains[i]);
  json_object_set_array_member (object, "domains", domains);

  /* settings_json was validated when it was written */
  if (site->settings_json != NULL &&
      json_parser_load_from_data (parser, site->settings_json, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    json_object_set_member (object, "settings", json_node_copy (json_parser_get_root (parser)));
  else
    json_object_set_object_member (object, "settings", json_object_new ());

  json_object_set_boolean_member (object, "enabled", site->enabled);
  json_object_set_boolean_member (object, "assistant_available", assistant_available);
  set_time (object, "created_at", site->created_at);
  if (site->role != CONFAB_ROLE_NONE)
    json_object_set_string_member (object, "role", confab_role_to_string (site->role));

  return object;
}

JsonObject *
confab_conversation_to_json (ConfabStore              *store,
                             const ConfabConversation *conversation,
                             ConfabAudience            audience)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "id", conversation->id);
  json_object_set_string_member (object, "status", confab_status_to_string (conversation->status));

  if (conversation->assignee_id != NULL)
    {
      g_autoptr (ConfabUser) assignee = confab_store_get_user (store, conversation->assignee_id, NULL);
      JsonObject *who = json_object_new ();

      g_autofree char *avatar_url = confab_avatar_url (conversation->assignee_id);

      if (audience == CONFAB_AUDIENCE_AGENT)
        json_object_set_string_member (who, "id", conversation->assignee_id);
      set_string_or_null (who, "name", assignee ? assignee->name : NULL);
      set_string_or_null (who, "avatar_url", avatar_url);
      json_object_set_object_member (object, "assignee", who);
    }
  else
    json_object_set_null_member (object, "assignee");

  set_time (object, "created_at", conversation->created_at);
  set_time (object, "last_message_at", conversation->last_message_at);
  json_object_set_int_member (object, "last_seq", conversation->last_seq);

  if (audience == CONFAB_AUDIENCE_AGENT)
    {
      json_object_set_string_member (object, "site_id", conversation->site_id);
      json_object_set_string_member (object, "visitor_id", conversation->visitor_id);
      json_object_set_int_member (object, "unread", conversation->unread);
      json_object_set_int_member (object, "agent_read_seq", conversation->agent_read_seq);
      json_object_set_int_member (object, "visitor_read_seq", conversation->visitor_read_seq);
      /* the team's labels: never the visitor's business */
      json_object_set_array_member (object, "labels",
                                    confab_conversation_labels_json (store, conversation->id));
      /* where the visitor writes from, and until when WhatsApp lets agents answer freely */
      json_object_set_string_member (object, "channel",
                                     conversation->channel ? conversation->channel : "web");
      set_time (object, "reply_window_ends_at", conversation->reply_window_ends_at);
      /* the response-time target now running (confab-store-targets.h) */
      if (conversation->target_kind != CONFAB_TARGET_NONE)
        {
          JsonObject *target = json_object_new ();

          json_object_set_string_member (target, "kind",
                                         confab_target_kind_to_string (conversation->target_kind));
          set_time (target, "due_at", conversation->target_due_at);
          json_object_set_string_member (target, "state",
                                         confab_target_state_to_string (conversation->target_state));
          json_object_set_object_member (object, "target", target);
        }
      else
        json_object_set_null_member (object, "target");
      /* issue 18: its team and its place in the queue */
      confab_routing_to_json (store, conversation->id, object);
    }
  else
    json_object_set_int_member (object, "agent_read_seq", conversation->agent_read_seq);

  if (audience == CONFAB_AUDIENCE_AGENT)
    {
      JsonObject *rating = confab_rating_to_json (store, conversation->id);

      if (rating != NULL)
        json_object_set_object_member (object, "rating", rating);
      else
        json_object_set_null_member (object, "rating");
    }

  return object;
}

void
confab_site_set_max_chats (ConfabStore *store,
                           JsonObject  *object,
                           const char  *site_id,
                           const char  *user_id)
{
  gint64 max_chats = confab_store_get_max_chats (store, site_id, user_id, NULL);

  json_object_set_int_member (object, "max_chats", MAX (max_chats, 0));
}

void
confab_routing_to_json (ConfabStore *store,
                        const char  *conversation_id,
                        JsonObject  *object)
{
  ConfabRouting routing = { 0 };

  if (!confab_store_get_routing (store, conversation_id, &routing, NULL))
    confab_routing_clear (&routing);
  if (routing.team_id != NULL)
    {
      JsonObject *team = json_object_new ();

      json_object_set_string_member (team, "id", routing.team_id);
      set_string_or_null (team, "key", routing.team_key);
      set_string_or_null (team, "name", routing.team_name);
      json_object_set_object_member (object, "team", team);
    }
  else
    json_object_set_null_member (object, "team");
  set_time (object, "queued_at", routing.queued_at);
  if (routing.queue_position > 0)
    json_object_set_int_member (object, "queue_position", routing.queue_position);
  else
    json_object_set_null_member (object, "queue_position");
  confab_routing_clear (&routing);
}

JsonObject *
confab_rating_to_json (ConfabStore *store,
                       const char  *conversation_id)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *comment = NULL;
  gboolean found = FALSE;
  gint64 rated_at = 0;
  int score = 0;
  JsonObject *rating;

  if (!confab_store_get_conversation_rating (store, conversation_id, &found, &score, &comment,
                                             &rated_at, &error))
    {
      g_warning ("Cannot read the rating of %s: %s", conversation_id, error->message);
      return NULL;
    }
  if (!found)
    return NULL;

  rating = json_object_new ();
  json_object_set_int_member (rating, "score", score);
  set_string_or_null (rating, "comment", comment);
  set_time (rating, "rated_at", rated_at);
  return rating;
}

JsonObject *
confab_offline_message_to_json (const ConfabOfflineMessage *offline)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "id", offline->id);
  json_object_set_string_member (object, "site_id", offline->site_id);
  set_string_or_null (object, "visitor_id", offline->visitor_id);
  set_string_or_null (object, "name", offline->name);
  set_string_or_null (object, "email", offline->email);
  json_object_set_string_member (object, "body", offline->body);
  if (offline->page_url != NULL)
    {
      JsonObject *page = json_object_new ();

      json_object_set_string_member (page, "url", offline->page_url);
      set_string_or_null (page, "title", offline->page_title);
      json_object_set_object_member (object, "page", page);
    }
  else
    json_object_set_null_member (object, "page");
  set_time (object, "created_at", offline->created_at);
  json_object_set_string_member (object, "status", offline->handled ? "handled" : "open");
  if (offline->handled && offline->handled_by != NULL)
    {
      JsonObject *who = json_object_new ();

      json_object_set_string_member (who, "id", offline->handled_by);
      set_string_or_null (who, "name", offline->handled_by_name);
      json_object_set_object_member (object, "handled_by", who);
    }
  else
    json_object_set_null_member (object, "handled_by");
  set_time (object, "handled_at", offline->handled ? offline->handled_at : 0);
  set_string_or_null (object, "conversation_id", offline->conversation_id);
  return object;
}

JsonObject *
confab_upload_to_json (const ConfabUpload *upload)
{
  JsonObject *object = json_object_new ();
  g_autofree char *url = g_strconcat ("/api/v1/uploads/", upload->id, NULL);
  g_autofree char *thumb_url = g_strconcat (url, "/thumb", NULL);
  gboolean file = g_strcmp0 (upload->kind, "file") == 0;

  /* relative: the relay may be reached under several names */
  json_object_set_string_member (object, "id", upload->id);
  json_object_set_string_member (object, "url", url);
  json_object_set_string_member (object, "kind", file ? "file" : "image");
  set_string_or_null (object, "name", upload->name);
  json_object_set_string_member (object, "mime", upload->mime);
  json_object_set_int_member (object, "size", upload->size);
  /* a file has no pixels and no thumbnail: it is a download, never shown inline */
  if (!file)
    {
      json_object_set_string_member (object, "thumb_url", thumb_url);
      json_object_set_int_member (object, "width", upload->width);
      json_object_set_int_member (object, "height", upload->height);
    }

  return object;
}

gboolean
confab_message_asks_email (const ConfabMessage *message)
{
  return message->sender_type == CONFAB_SENDER_BOT && message->client_id != NULL &&
         g_str_has_prefix (message->client_id, CONFAB_ASK_EMAIL_CLIENT_PREFIX);
}

JsonObject *
confab_message_to_json (const ConfabMessage *message,
                        ConfabAudience       audience)
{
  JsonObject *object = json_object_new ();
  JsonObject *sender = json_object_new ();

  json_object_set_string_member (object, "conversation_id", message->conversation_id);
  json_object_set_int_member (object, "seq", message->seq);
  set_string_or_null (object, "client_id", message->client_id);

  json_object_set_string_member (sender, "type", confab_sender_to_string (message->sender_type));
  set_string_or_null (sender, "name", message->sender_name);
  if (audience == CONFAB_AUDIENCE_AGENT && message->sender_id != NULL)
    json_object_set_string_member (sender, "id", message->sender_id);
  if (message->sender_type == CONFAB_SENDER_AGENT)
    {
      /* a hash lookup (confab-avatars.c): this runs for every message */
      g_autofree char *avatar_url = confab_avatar_url (message->sender_id);

      set_string_or_null (sender, "avatar_url", avatar_url);
    }
  json_object_set_object_member (object, "sender", sender);

  /* A bot's FAQ answer (its sender id is the FAQ): the visitor may rate it or ask for a person. */
  if (message->sender_type == CONFAB_SENDER_BOT && message->sender_id != NULL)
    {
      JsonArray *actions = json_array_new ();
      JsonObject *talk = json_object_new ();

      json_object_set_string_member (object, "faq_id", message->sender_id);
      json_object_set_string_member (talk, "type", "talk_to_human");
      json_object_set_string_member (talk, "label", "Talk to a person");
      json_array_add_object_element (actions, talk);
      json_object_set_array_member (object, "actions", actions);
    }

  /* The notice that nobody can take over: the e-mail field, no vote (confab_message_asks_email ()) */
  if (confab_message_asks_email (message))
    {
      JsonArray *actions = json_array_new ();
      JsonObject *ask = json_object_new ();

      json_object_set_string_member (ask, "type", "ask_email");
      json_object_set_string_member (ask, "label", CONFAB_ASK_EMAIL_LABEL);
      json_array_add_object_element (actions, ask);
      json_object_set_array_member (object, "actions", actions);
    }

  /* An assistant's answer (confab-assistant.c): its sources, actions and the stream_id of the
   * draft it replaces; stored as one object, written when the answer was */
  if (message->assistant_json != NULL)
    {
      g_autoptr (JsonObject) extra = confab_json_parse_object (message->assistant_json,
                                                               strlen (message->assistant_json),
                                                               G_MAXSIZE, 16, NULL);

      json_object_set_boolean_member (object, "assistant", TRUE);
      if (extra != NULL)
        {
          g_autoptr (GList) names = json_object_get_members (extra);

          for (GList *l = names; l; l = l->next)
            json_object_set_member (object, l->data,
                                    json_node_copy (json_object_get_member (extra, l->data)));
        }
    }

  /* A bot's answer the visitor voted on: every tab (and the agents) show the vote chosen. */
  if (message->vote != 0)
    json_object_set_string_member (object, "vote", message->vote > 0 ? "up" : "down");

  /* An offline message an agent turned into this conversation (confab-hub-unseen.c): its id,
   * which only the relay hands out ("off_" ids), is the message's client_id. */
  if (message->sender_type == CONFAB_SENDER_VISITOR && message->client_id != NULL &&
      g_str_has_prefix (message->client_id, "off_"))
    json_object_set_string_member (object, "offline_message_id", message->client_id);

  set_string_or_null (object, "body", message->body);
  if (message->attachment != NULL)
    json_object_set_object_member (object, "attachment", confab_upload_to_json (message->attachment));
  else
    json_object_set_null_member (object, "attachment");
  set_time (object, "created_at", message->created_at);

  /* an agent's message in another channel: how far the platform got with it */
  if (audience == CONFAB_AUDIENCE_AGENT && message->delivery_status != NULL)
    {
      JsonObject *delivery = json_object_new ();

      json_object_set_string_member (delivery, "status", message->delivery_status);
      set_string_or_null (delivery, "error", message->delivery_error);
      json_object_set_object_member (object, "delivery", delivery);
    }

  return object;
}

JsonObject *
confab_visitor_to_json (ConfabStore         *store,
                        const ConfabVisitor *visitor,
                        gboolean             online,
                        guint                journey_length)
{
  JsonObject *object = json_object_new ();
  JsonObject *geo = json_object_new ();
  JsonObject *device = json_object_new ();
  JsonArray *journey = json_array_new ();
  g_autoptr (GPtrArray) pages = NULL;
  gint64 now = confab_now_ms ();

  json_object_set_string_member (object, "id", visitor->id);
  json_object_set_boolean_member (object, "online", online);
  set_string_or_null (object, "name", visitor->name);
  set_string_or_null (object, "email", visitor->email);
  set_string_or_null (object, "locale", visitor->locale);
  set_string_or_null (object, "timezone", visitor->timezone);

  set_string_or_null (geo, "country", visitor->country);
  set_string_or_null (geo, "city", visitor->city);
  set_string_or_null (geo, "country_name", visitor->country_name);
  set_string_or_null (geo, "timezone", visitor->geo_timezone);
  json_object_set_object_member (object, "geo", geo);

  set_string_or_null (device, "browser", visitor->browser);
  set_string_or_null (device, "os", visitor->os);
  set_string_or_null (device, "browser_version", visitor->browser_version);
  set_string_or_null (device, "os_version", visitor->os_version);
  set_string_or_null (device, "type", visitor->device_type);
  json_object_set_object_member (object, "device", device);
  /* A visitor recognised by fingerprint after clearing storage: the visitor they were first. */
  set_string_or_null (object, "linked_to", visitor->linked_to);
  json_object_set_string_member (object, "channel", visitor->channel ? visitor->channel : "web");

  pages = confab_store_list_page_views (store, visitor->id, journey_length, NULL);
  for (guint i = 0; pages && i < pages->len; i++)
    {
      ConfabPageView *view = g_ptr_array_index (pages, i);
      JsonObject *page = json_object_new ();
      gint64 until = view->left_at > 0 ? view->left_at : (online ? now : visitor->last_seen);

      json_object_set_string_member (page, "url", view->url);
      set_string_or_null (page, "title", view->title);
      set_time (page, "at", view->at);
      json_object_set_int_member (page, "seconds", MAX (0, until - view->at) / 1000);
      json_array_add_object_element (journey, page);
    }

  if (pages != NULL && pages->len > 0)
    {
      ConfabPageView *current = g_ptr_array_index (pages, pages->len - 1);
      JsonObject *page = json_object_new ();

      json_object_set_string_member (page, "url", current->url);
      set_string_or_null (page, "title", current->title);
      json_object_set_object_member (object, "page", page);
    }
  else
    json_object_set_null_member (object, "page");

  json_object_set_array_member (object, "journey", journey);
  set_time (object, "first_seen", visitor->first_seen);
  set_time (object, "last_seen", visitor->last_seen);
  json_object_set_int_member (object, "visits", visitor->visits);
  {
    /* when they accepted the site's consent text in the widget (GDPR), or null */
    gint64 consent_at = confab_store_get_visitor_consent (store, visitor->id, NULL);

    if (consent_at > 0)
      set_time (object, "consent_at", consent_at);
    else
      json_object_set_null_member (object, "consent_at");
  }
  /* phone, notes, tags, lead_score, goals (issue 16) */
  confab_engage_visitor_json (store, visitor, online, object);

  return object;
}

JsonObject *
confab_frame_new (const char *type)
{
  JsonObject *frame = json_object_new ();

  json_object_set_string_member (frame, "type", type);
  return frame;
}

char *
confab_frame_to_string (JsonObject *frame)
{
  return confab_json_object_to_string (frame);
}
