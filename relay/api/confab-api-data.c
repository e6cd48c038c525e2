/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-data.c: the audit log, visitor search, a visitor's export and deletion, blocked
 * visitors (issue 10). Reading the audit log, exporting, deleting and blocking are for the
 * site's owners and admins; searching visitors for every member (agents look people up too). */
#define G_LOG_DOMAIN "confab-api"

#include "confab-api-data.h"
#include "confab-store-engage.h"
#include "confab-hub.h"
#include "confab-hub-data.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-store-data.h"
#include "confab-chat.h"
#include "confab-util.h"

#include <string.h>

#define AUDIT_DEFAULT_PAGE   50
#define AUDIT_MAX_PAGE       200
#define SEARCH_DEFAULT_PAGE  20
#define SEARCH_MAX_PAGE      100
#define MAX_QUERY_CHARS      200
#define MAX_REASON_CHARS     500
/* A conversation's messages are read in slices of this many into an export. */
#define EXPORT_SLICE         500
/* A visitor with more messages than this is deleted in slices of DELETE_SLICE, one per
 * main-loop turn, before the last short transaction (the request waits, paused). 10,000
 * messages took 0.28 s in one transaction on the shared 2-core machine. */
#define DELETE_AT_ONCE       2000
#define DELETE_SLICE         500

void
confab_audit (ConfabRelay       *relay,
              SoupServerMessage *msg,
              const ConfabUser  *actor,
              const char        *site_id,
              const char        *action,
              const char        *target_type,
              const char        *target_id,
              const char        *target_name,
              JsonObject        *details)
{
  g_autofree char *ip = msg != NULL ? confab_http_client_ip (relay, msg) : NULL;
  g_autofree char *ip_hash = ip != NULL ? confab_relay_hash_ip (relay, ip) : NULL;
  g_autofree char *details_json = details != NULL ? confab_json_object_to_string (details) : NULL;
  g_autoptr (GError) error = NULL;
  ConfabAuditEntry entry = {
    .site_id = site_id,
    .actor_id = actor != NULL ? actor->id : NULL,
    .actor_name = actor != NULL ? actor->name : NULL,
    .action = action,
    .target_type = target_type,
    .target_id = target_type != NULL ? target_id : NULL,
    .target_name = target_type != NULL ? target_name : NULL,
    .details_json = details_json,
    .ip_hash = ip_hash,
  };

  if (!confab_store_append_audit (relay->store, &entry, &error))
    g_warning ("Audit log entry %s lost: %s", action, error->message);
}

/* A whole number from the query string, FALSE after answering 400. */
static gboolean
query_int (ConfabApiCall *call,
           const char    *name,
           gint64         min,
           gint64         max,
           gint64         default_value,
           gint64        *out_value)
{
  const char *text = call->query ? g_hash_table_lookup (call->query, name) : NULL;
  char *end = NULL;
  gint64 value;

  *out_value = default_value;
  if (text == NULL || *text == '\0')
    return TRUE;

  value = g_ascii_strtoll (text, &end, 10);
  if (*end != '\0' || value < min || value > max)
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be a whole number from %" G_GINT64_FORMAT
                                                  " to %" G_GINT64_FORMAT, name, min, max);
      confab_api_bad_value (call, message);
      return FALSE;
    }
  *out_value = value;
  return TRUE;
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

static void
set_time (JsonObject *object,
          const char *member,
          gint64      unix_ms)
{
  g_autofree char *text = unix_ms > 0 ? confab_format_time (unix_ms) : NULL;

  set_string_or_null (object, member, text);
}

static JsonObject *
person_json (const char *id,
             const char *name)
{
  JsonObject *person = json_object_new ();

  json_object_set_string_member (person, "id", id);
  set_string_or_null (person, "name", name);
  return person;
}

/* --- the audit log --- */

static JsonObject *
audit_to_json (const ConfabAuditRecord *record)
{
  JsonObject *entry = json_object_new ();
  g_autoptr (JsonNode) details = record->details_json ? json_from_string (record->details_json, NULL) : NULL;

  json_object_set_int_member (entry, "id", record->id);
  set_time (entry, "at", record->at);
  if (record->actor_id != NULL)
    json_object_set_object_member (entry, "actor", person_json (record->actor_id, record->actor_name));
  else
    json_object_set_null_member (entry, "actor");
  json_object_set_string_member (entry, "action", record->action);
  if (record->target_type != NULL)
    {
      JsonObject *target = json_object_new ();

      json_object_set_string_member (target, "type", record->target_type);
      set_string_or_null (target, "id", record->target_id);
      set_string_or_null (target, "name", record->target_name);
      json_object_set_object_member (entry, "target", target);
    }
  else
    json_object_set_null_member (entry, "target");
  if (details != NULL && JSON_NODE_HOLDS_OBJECT (details))
    json_object_set_member (entry, "details", g_steal_pointer (&details));
  else
    json_object_set_object_member (entry, "details", json_object_new ());
  set_string_or_null (entry, "ip_hash", record->ip_hash);
  return entry;
}

static void
site_audit (ConfabApiCall *call,
            ConfabSite    *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;
  gint64 before, limit;
  JsonArray *list;

  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");
  if (!confab_api_require_admin (call, site->role))
    return;
  if (!query_int (call, "before", 1, G_MAXINT64, 0, &before) ||
      !query_int (call, "limit", 1, AUDIT_MAX_PAGE, AUDIT_DEFAULT_PAGE, &limit))
    return;

  records = confab_store_list_site_audit (call->relay->store, site->id, before, (guint) limit, &error);
  if (records == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < records->len; i++)
    json_array_add_object_element (list, audit_to_json (g_ptr_array_index (records, i)));
  json_object_set_array_member (answer, "entries", list);
  /* a full page may have more behind it; a short one is the end */
  if (records->len > 0 && records->len == (guint) limit)
    json_object_set_int_member (answer, "next_before",
                                ((ConfabAuditRecord *) g_ptr_array_index (records, records->len - 1))->id);
  else
    json_object_set_null_member (answer, "next_before");
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

/* --- visitors --- */

static void
site_visitors (ConfabApiCall *call,
               ConfabSite    *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) visitors = NULL;
  g_autoptr (GError) error = NULL;
  const char *q = call->query ? g_hash_table_lookup (call->query, "q") : NULL;
  const char *sort = call->query ? g_hash_table_lookup (call->query, "sort") : NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (q != NULL ? q : ""));
  gint64 limit;
  JsonArray *list;

  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");
  if (!g_utf8_validate (trimmed, -1, NULL) || confab_utf8_length (trimmed) > MAX_QUERY_CHARS)
    return confab_api_bad_value (call, "“q” must be text of at most 200 characters");
  if (!query_int (call, "limit", 1, SEARCH_MAX_PAGE, SEARCH_DEFAULT_PAGE, &limit))
    return;
  if (sort != NULL && g_strcmp0 (sort, "last_seen") != 0 && g_strcmp0 (sort, "lead_score") != 0)
    return confab_api_bad_value (call, "“sort” must be “last_seen” or “lead_score”");

  if (g_strcmp0 (sort, "lead_score") == 0)
    visitors = confab_store_search_visitors_by_score (call->relay->store, site->id, trimmed,
                                                      (guint) limit, &error);
  else
    visitors = confab_store_search_visitors (call->relay->store, site->id, trimmed, (guint) limit, &error);
  if (visitors == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < visitors->len; i++)
    {
      ConfabVisitor *visitor = g_ptr_array_index (visitors, i);
      JsonObject *object = confab_visitor_to_json (call->relay->store, visitor,
                                                   confab_hub_visitor_online (call->relay->hub, visitor->id),
                                                   1);

      json_object_set_string_member (object, "site_id", visitor->site_id);
      json_array_add_object_element (list, object);
    }
  json_object_set_array_member (answer, "visitors", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

static JsonObject *
block_to_json (const ConfabBlock *block)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "visitor_id", block->visitor_id);
  set_string_or_null (object, "name", block->name);
  set_string_or_null (object, "email", block->email);
  set_string_or_null (object, "reason", block->reason);
  set_time (object, "blocked_at", block->blocked_at);
  if (block->blocked_by != NULL)
    json_object_set_object_member (object, "blocked_by", person_json (block->blocked_by, block->blocked_by_name));
  else
    json_object_set_null_member (object, "blocked_by");
  return object;
}

static void
site_blocks (ConfabApiCall *call,
             ConfabSite    *site)
{
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) blocks = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *list;

  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");
  if (!confab_api_require_admin (call, site->role))
    return;

  blocks = confab_store_list_blocks (call->relay->store, site->id, &error);
  if (blocks == NULL)
    return confab_http_gerror (call->msg, error);

  list = json_array_new ();
  for (guint i = 0; i < blocks->len; i++)
    json_array_add_object_element (list, block_to_json (g_ptr_array_index (blocks, i)));
  json_object_set_array_member (answer, "blocks", list);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

gboolean
confab_api_data_is_site_resource (const char *name)
{
  return g_strcmp0 (name, "audit") == 0 || g_strcmp0 (name, "visitors") == 0 ||
         g_strcmp0 (name, "blocks") == 0;
}

void
confab_api_data_site_resource (ConfabApiCall  *call,
                               ConfabSite     *site,
                               char          **rest)
{
  if (rest[1] != NULL)
    return confab_api_not_found (call);
  if (strcmp (rest[0], "audit") == 0)
    return site_audit (call, site);
  if (strcmp (rest[0], "visitors") == 0)
    return site_visitors (call, site);
  if (strcmp (rest[0], "blocks") == 0)
    return site_blocks (call, site);
  confab_api_not_found (call);
}

/* --- one visitor: export, delete, block --- */

static JsonArray *
export_messages (ConfabStore  *store,
                 const char   *conversation_id,
                 GError      **error)
{
  g_autoptr (JsonArray) list = json_array_new ();
  gint64 after = 0;

  for (;;)
    {
      g_autoptr (GPtrArray) slice = confab_store_list_messages (store, conversation_id, after,
                                                                EXPORT_SLICE, error);

      if (slice == NULL)
        return NULL;
      for (guint i = 0; i < slice->len; i++)
        {
          ConfabMessage *message = g_ptr_array_index (slice, i);

          json_array_add_object_element (list, confab_message_to_json (message, CONFAB_AUDIENCE_AGENT));
          after = message->seq;
        }
      if (slice->len < EXPORT_SLICE)
        return g_steal_pointer (&list);
    }
}

static JsonArray *
export_timeline (ConfabStore  *store,
                 const char   *conversation_id,
                 GError      **error)
{
  g_autoptr (GPtrArray) events = confab_store_list_timeline (store, conversation_id, error);
  JsonArray *list;

  if (events == NULL)
    return NULL;
  list = json_array_new ();
  for (guint i = 0; i < events->len; i++)
    {
      ConfabEvent *event = g_ptr_array_index (events, i);
      g_autoptr (JsonNode) node = json_from_string (event->payload_json, NULL);
      JsonObject *frame = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (frame != NULL && json_object_has_member (frame, "event"))
        json_array_add_object_element (list, json_object_ref (json_object_get_object_member (frame, "event")));
    }
  return list;
}

static const char *
upload_extension (const char *mime)
{
  if (g_strcmp0 (mime, "image/png") == 0)
    return "png";
  if (g_strcmp0 (mime, "image/jpeg") == 0)
    return "jpg";
  if (g_strcmp0 (mime, "image/gif") == 0)
    return "gif";
  if (g_strcmp0 (mime, "image/webp") == 0)
    return "webp";
  return "bin";
}

/* Everything the relay keeps about this visitor, and only this visitor: the visitors linked
 * with them by fingerprint are other rows with exports of their own (the agent's visitor
 * object joins their journeys; this one lists the visitor's own pages). */
static JsonObject *
export_visitor (ConfabApiCall  *call,
                ConfabVisitor  *visitor,
                GError        **error)
{
  ConfabStore *store = call->relay->store;
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (GPtrArray) pages = NULL;
  g_autoptr (GPtrArray) conversations = NULL;
  g_autoptr (GPtrArray) offline = NULL;
  g_autoptr (GPtrArray) uploads = NULL;
  JsonObject *object;
  JsonArray *list, *ratings;

  if ((pages = confab_store_list_visitor_pages (store, visitor->id, error)) == NULL ||
      (conversations = confab_store_list_visitor_conversation_ids (store, visitor->id, error)) == NULL ||
      (offline = confab_store_list_visitor_offline_ids (store, visitor->id, error)) == NULL ||
      (uploads = confab_store_list_visitor_upload_ids (store, visitor->id, error)) == NULL)
    return NULL;

  set_time (answer, "exported_at", confab_now_ms ());
  object = confab_visitor_to_json (store, visitor, confab_hub_visitor_online (call->relay->hub, visitor->id), 1);
  json_object_remove_member (object, "journey");
  json_object_remove_member (object, "page");
  json_object_set_string_member (object, "site_id", visitor->site_id);
  json_object_set_object_member (answer, "visitor", object);

  list = json_array_new ();
  json_object_set_array_member (answer, "page_views", list);
  for (guint i = 0; i < pages->len; i++)
    {
      ConfabPageView *view = g_ptr_array_index (pages, i);
      JsonObject *page = json_object_new ();

      json_object_set_string_member (page, "url", view->url);
      set_string_or_null (page, "title", view->title);
      set_time (page, "at", view->at);
      set_time (page, "left_at", view->left_at);
      json_array_add_object_element (list, page);
    }

  list = json_array_new ();
  json_object_set_array_member (answer, "conversations", list);
  ratings = json_array_new ();
  json_object_set_array_member (answer, "ratings", ratings);
  for (guint i = 0; i < conversations->len; i++)
    {
      g_autoptr (ConfabConversation) conversation = NULL;
      JsonObject *rating;
      JsonArray *messages, *timeline;

      conversation = confab_store_get_conversation (store, g_ptr_array_index (conversations, i), error);
      if (conversation == NULL)
        return NULL;
      if ((messages = export_messages (store, conversation->id, error)) == NULL)
        return NULL;
      if ((timeline = export_timeline (store, conversation->id, error)) == NULL)
        {
          json_array_unref (messages);
          return NULL;
        }
      object = confab_conversation_to_json (store, conversation, CONFAB_AUDIENCE_AGENT);
      json_object_set_array_member (object, "messages", messages);
      json_object_set_array_member (object, "timeline", timeline);
      /* the team's internal notes: this export is the agents' (Art. 15), never a visitor's */
      {
        g_autoptr (GPtrArray) notes = confab_store_list_notes (store, conversation->id, error);
        JsonArray *array;

        if (notes == NULL)
          {
            json_object_unref (object);
            return NULL;
          }
        array = json_array_new ();
        for (guint j = 0; j < notes->len; j++)
          json_array_add_object_element (array, confab_note_to_json (g_ptr_array_index (notes, j)));
        json_object_set_array_member (object, "notes", array);
      }
      json_array_add_object_element (list, object);

      if ((rating = confab_rating_to_json (store, conversation->id)) != NULL)
        {
          json_object_set_string_member (rating, "conversation_id", conversation->id);
          json_array_add_object_element (ratings, rating);
        }
    }

  list = json_array_new ();
  json_object_set_array_member (answer, "offline_messages", list);
  for (guint i = 0; i < offline->len; i++)
    {
      g_autoptr (ConfabOfflineMessage) message = confab_store_get_offline_message (store, g_ptr_array_index (offline, i),
                                                                                   error);
      if (message == NULL)
        return NULL;
      json_array_add_object_element (list, confab_offline_message_to_json (message));
    }

  list = json_array_new ();
  json_object_set_array_member (answer, "uploads", list);
  for (guint i = 0; i < uploads->len; i++)
    {
      g_autoptr (ConfabUpload) upload = confab_store_get_upload (store, g_ptr_array_index (uploads, i), error);
      g_autofree char *name = NULL;

      if (upload == NULL)
        return NULL;
      /* the relay keeps no file names (uploads are re-encoded and stored by content) */
      name = g_strdup_printf ("%s.%s", upload->id, upload_extension (upload->mime));
      object = json_object_new ();
      json_object_set_string_member (object, "id", upload->id);
      json_object_set_string_member (object, "name", name);
      json_object_set_string_member (object, "content_type", upload->mime);
      json_object_set_int_member (object, "size", upload->size);
      set_time (object, "created_at", upload->created_at);
      set_string_or_null (object, "conversation_id", upload->conversation_id);
      json_object_set_string_member (object, "uploaded_by", upload->visitor_id != NULL ? "visitor" : "agent");
      json_array_add_object_element (list, object);
    }

  return g_steal_pointer (&answer);
}

static void
visitor_export (ConfabApiCall *call,
                ConfabVisitor *visitor)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) details = json_object_new ();
  g_autofree char *disposition = NULL;

  if (!confab_api_method_is (call, "GET"))
    return confab_api_method_not_allowed (call, "GET");

  if ((answer = export_visitor (call, visitor, &error)) == NULL)
    return confab_http_gerror (call->msg, error);

  json_object_set_int_member (details, "conversations",
                              json_array_get_length (json_object_get_array_member (answer, "conversations")));
  confab_audit (call->relay, call->msg, call->user, visitor->site_id, "visitor.exported", "visitor",
                visitor->id, visitor->name != NULL ? visitor->name : visitor->email, details);

  /* the id is the relay's own (letters, digits, "_"): safe in a header */
  disposition = g_strdup_printf ("attachment; filename=\"confab-visitor-%s.json\"", visitor->id);
  soup_message_headers_replace (soup_server_message_get_response_headers (call->msg),
                                "Content-Disposition", disposition);
  confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
}

/* Answers the DELETE: the visitor and everything of theirs goes in one transaction. */
static void
finish_delete (ConfabRelay       *relay,
               SoupServerMessage *msg,
               const ConfabUser  *user,
               const char        *visitor_id,
               const char        *site_id,
               guint              conversations)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) details = json_object_new ();

  if (!confab_hub_delete_visitor (relay->hub, visitor_id, &error))
    return confab_http_gerror (msg, error);
  /* the 204 says the data is gone: the batch holding the deletion commits before it is sent
   * (from an idle step nothing else ends the batch before libsoup writes the answer) */
  confab_hub_sync (relay->hub);

  /* the entry outlives the data: it names the visitor by id only, never by name or e-mail */
  json_object_set_int_member (details, "conversations", conversations);
  confab_audit (relay, msg, user, site_id, "visitor.deleted", "visitor", visitor_id, NULL, details);
  g_message ("Visitor %s of site %s deleted with their data", visitor_id, site_id);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

typedef struct {
  ConfabRelay       *relay;
  SoupServerMessage *msg;
  ConfabUser        *user;
  char              *visitor_id;
  char              *site_id;
  guint              conversations;
  gulong             finished_id;
  gboolean           gone;          /* the client went away: nobody to answer */
} DeleteJob;

static void
delete_job_gone (SoupServerMessage *msg,
                 gpointer           user_data)
{
  ((DeleteJob *) user_data)->gone = TRUE;
}

static void
delete_job_free (DeleteJob *job)
{
  g_signal_handler_disconnect (job->msg, job->finished_id);
  g_object_unref (job->msg);
  confab_user_free (job->user);
  g_free (job->visitor_id);
  g_free (job->site_id);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DeleteJob, delete_job_free)

/* One slice of a long history per main-loop turn, then the rest at once. */
static gboolean
delete_step (gpointer user_data)
{
  DeleteJob *job = user_data;
  g_autoptr (GError) error = NULL;
  gboolean more = FALSE;

  confab_hub_sync (job->relay->hub);
  if (confab_hub_trim_visitor (job->relay->hub, job->visitor_id, DELETE_SLICE, &more, &error) && more)
    return G_SOURCE_CONTINUE;

  {
    g_autoptr (DeleteJob) done = job;

    /* the deletion goes on to its end even when the client went away */
    if (error != NULL)
      g_warning ("Deleting visitor %s failed: %s", done->visitor_id, error->message);
    if (error != NULL && !done->gone)
      confab_http_gerror (done->msg, error);
    else if (error == NULL)
      finish_delete (done->relay, done->msg, done->user, done->visitor_id, done->site_id,
                     done->conversations);
    if (!done->gone)
      soup_server_message_unpause (done->msg);
  }
  return G_SOURCE_REMOVE;
}

static void
visitor_delete (ConfabApiCall *call,
                ConfabVisitor *visitor)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) conversations = NULL;
  gint64 messages;

  conversations = confab_store_list_visitor_conversation_ids (call->relay->store, visitor->id, &error);
  if (conversations == NULL ||
      (messages = confab_store_count_visitor_messages (call->relay->store, visitor->id, &error)) < 0)
    return confab_http_gerror (call->msg, error);

  if (messages <= DELETE_AT_ONCE)
    return finish_delete (call->relay, call->msg, call->user, visitor->id, visitor->site_id,
                          conversations->len);

  /* a long history: the loop serves everyone else between two slices */
  {
    DeleteJob *job = g_new0 (DeleteJob, 1);

    job->relay = call->relay;
    job->msg = g_object_ref (call->msg);
    job->user = g_new0 (ConfabUser, 1);
    job->user->id = g_strdup (call->user->id);
    job->user->name = g_strdup (call->user->name);
    job->visitor_id = g_strdup (visitor->id);
    job->site_id = g_strdup (visitor->site_id);
    job->conversations = conversations->len;
    job->finished_id = g_signal_connect (call->msg, "finished", G_CALLBACK (delete_job_gone), job);
    soup_server_message_pause (call->msg);
    g_idle_add (delete_step, job);
  }
}

static void
visitor_block (ConfabApiCall *call,
               ConfabVisitor *visitor)
{
  static const char * const fields[] = { "reason", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) details = json_object_new ();
  const char *name = visitor->name != NULL ? visitor->name : visitor->email;

  if (confab_api_method_is (call, "DELETE"))
    {
      if (!confab_store_unblock_visitor (call->relay->store, visitor->site_id, visitor->id, &error))
        {
          if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
            return confab_http_error (call->msg, SOUP_STATUS_NOT_FOUND, "not_found",
                                      "This visitor is not blocked");
          return confab_http_gerror (call->msg, error);
        }
      confab_audit (call->relay, call->msg, call->user, visitor->site_id, "visitor.unblocked", "visitor",
                    visitor->id, name, NULL);
      return confab_api_no_content (call);
    }

  if (confab_api_method_is (call, "POST"))
    {
      g_autoptr (JsonObject) body = NULL;
      g_autoptr (ConfabBlock) block = NULL;
      g_autoptr (JsonObject) answer = NULL;
      const char *reason = NULL;

      /* an empty body blocks without a reason */
      if (soup_server_message_get_request_body (call->msg)->length > 0)
        {
          if ((body = confab_http_read_object (call->relay, call->msg)) == NULL ||
              !confab_api_only_fields (call, body, fields) ||
              !confab_api_text_field (call, body, "reason", FALSE, 0, MAX_REASON_CHARS, &reason))
            return;
        }

      block = confab_store_block_visitor (call->relay->store, visitor->site_id, visitor->id, reason,
                                          call->user->id, &error);
      if (block == NULL)
        return confab_http_gerror (call->msg, error);

      /* open tabs go now; the hello of any later one is refused */
      confab_hub_visitor_blocked (call->relay->hub, visitor->site_id, visitor->id, block->ip_hash);

      if (reason != NULL)
        json_object_set_string_member (details, "reason", reason);
      confab_audit (call->relay, call->msg, call->user, visitor->site_id, "visitor.blocked", "visitor",
                    visitor->id, name, details);
      answer = block_to_json (block);
      return confab_http_json_object (call->msg, SOUP_STATUS_OK, answer);
    }

  confab_api_method_not_allowed (call, "POST, DELETE");
}

void
confab_api_unblock_deleted (ConfabApiCall *call,
                            const char    *visitor_id)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *site_id = confab_store_get_block_site (call->relay->store, visitor_id, &error);
  ConfabRole role;

  if (error != NULL)
    return confab_http_gerror (call->msg, error);
  /* no block, or one of a site that is not the caller's: the same 404 */
  if (site_id == NULL || (role = confab_api_role (call, site_id)) == CONFAB_ROLE_NONE)
    return confab_api_not_found (call);
  if (!confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "DELETE");
  if (!confab_api_require_admin (call, role))
    return;
  if (!confab_store_unblock_visitor (call->relay->store, site_id, visitor_id, &error))
    return confab_http_gerror (call->msg, error);
  confab_audit (call->relay, call->msg, call->user, site_id, "visitor.unblocked", "visitor", visitor_id,
                NULL, NULL);
  confab_api_no_content (call);
}

void
confab_api_visitor_data (ConfabApiCall  *call,
                         ConfabVisitor  *visitor,
                         char          **rest)
{
  ConfabRole role = confab_api_role (call, visitor->site_id);

  if (rest[0] != NULL && rest[1] != NULL)
    return confab_api_not_found (call);
  if (rest[0] != NULL && strcmp (rest[0], "export") != 0 && strcmp (rest[0], "block") != 0)
    return confab_api_not_found (call);
  if (rest[0] == NULL && !confab_api_method_is (call, "DELETE"))
    return confab_api_method_not_allowed (call, "GET, DELETE");
  if (!confab_api_require_admin (call, role))
    return;

  if (rest[0] == NULL)
    return visitor_delete (call, visitor);
  if (strcmp (rest[0], "export") == 0)
    return visitor_export (call, visitor);
  visitor_block (call, visitor);
}
