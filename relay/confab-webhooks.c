/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-webhooks.c: sending outgoing webhooks.
 *
 * The deliveries are rows of webhook_deliveries, made by the schema's triggers in the same
 * transaction as what they announce (confab-store-hooks.h): this file only sends what is
 * committed and due. A timer looks for due rows (after confab_hub_sync (), so that it never
 * reads what the hub's open batch may still roll back); each is sent by libsoup's client on the
 * main loop, asynchronously, with a deadline; its outcome is stored before the next attempt is
 * chosen, so the schedule survives a restart (an attempt cut short by one is made again: a
 * receiver deduplicates on X-Confab-Delivery).
 *
 * SSRF: the host is resolved before each attempt and every address it has must be public; the
 * address the connection really reaches is checked again when it is made (a name that resolves
 * to another address the second time gets nothing), redirects are not followed and no proxy is
 * used. [webhooks] allow-private=true lifts the address checks (tests, an intranet). */
#define G_LOG_DOMAIN "confab-webhooks"

#include "confab-webhooks.h"
#include "confab-hub.h"
#include "confab-json.h"
#include "confab-objects.h"
#include "confab-store-hooks.h"
#include "confab-targets.h"
#include "confab-test-resolver.h"
#include "confab-util.h"

#include <string.h>

#define TICK_MS            500
#define MAX_IN_FLIGHT      8
#define PURGE_EVERY_MS     (3600 * 1000)
#define MAX_URL_BYTES      2000
#define MAX_ERROR_CHARS    200
/* an attempt's lease on its delivery lasts its timeout and this much more */
#define LEASE_MARGIN_S     30

const char * const confab_webhook_events[] = {
  "conversation.created",
  "conversation.resolved",
  "message.created",
  "rating.created",
  NULL
};

struct _ConfabWebhooks
{
  ConfabRelay *relay;
  SoupSession *session;
  GHashTable  *in_flight;    /* delivery id → Attempt* */
  guint        tick;
  gint64       last_purge;   /* monotonic ms */
};

typedef struct {
  ConfabWebhooks *webhooks;  /* NULL once the relay stops */
  char           *delivery_id;
  char           *event;
  char           *webhook_id;
  char           *url;
  char           *secret;
  char           *payload;
  gint64          attempts;  /* before this one */
  gint64          created_at;
  GCancellable   *cancellable;
  guint           deadline;
  gboolean        timed_out;
  gboolean        refused;   /* connected to an address that is not allowed */
} Attempt;

static void
attempt_free (Attempt *attempt)
{
  g_clear_handle_id (&attempt->deadline, g_source_remove);
  g_free (attempt->delivery_id);
  g_free (attempt->event);
  g_free (attempt->webhook_id);
  g_free (attempt->url);
  g_free (attempt->secret);
  g_free (attempt->payload);
  g_clear_object (&attempt->cancellable);
  g_free (attempt);
}

/* --- addresses ------------------------------------------------------------------------- */

static gboolean
ipv4_allowed (const guint8 *b)
{
  return !(b[0] == 0 ||                                    /* "this network" */
           b[0] == 10 ||                                   /* private */
           (b[0] == 100 && (b[1] & 0xc0) == 64) ||         /* shared (CGNAT) 100.64/10 */
           b[0] == 127 ||                                  /* loopback */
           (b[0] == 169 && b[1] == 254) ||                 /* link-local */
           (b[0] == 172 && (b[1] & 0xf0) == 16) ||         /* private 172.16/12 */
           (b[0] == 192 && b[1] == 0 && b[2] == 0) ||      /* IETF protocol assignments */
           (b[0] == 192 && b[1] == 168) ||                 /* private */
           (b[0] == 198 && (b[1] & 0xfe) == 18) ||         /* benchmarking 198.18/15 */
           b[0] >= 224);                                   /* multicast, reserved, broadcast */
}

gboolean
confab_webhooks_address_allowed (GInetAddress *address)
{
  const guint8 *b = g_inet_address_to_bytes (address);
  static const guint8 zeros[12] = { 0 };
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    return ipv4_allowed (b);

  /* an IPv4 address inside an IPv6 one reaches that IPv4 address: judged as such */
  if (memcmp (b, mapped, 12) == 0 || memcmp (b, nat64, 12) == 0)
    return ipv4_allowed (b + 12);
  /* ::, ::1 and the deprecated v4-compatible ::a.b.c.d */
  if (memcmp (b, zeros, 12) == 0)
    return FALSE;

  return !((b[0] & 0xfe) == 0xfc ||                        /* unique-local fc00::/7 */
           (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||      /* link-local fe80::/10 */
           (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||      /* site-local fec0::/10 */
           b[0] == 0xff ||                                 /* multicast */
           (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)); /* documentation */
}

/* @uri's host, when the URL may be a webhook's at all (before any resolution). */
static GUri *
parse_url (const char  *url,
           GError     **error)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  if (strlen (url) > MAX_URL_BYTES)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "“url” must be at most 2000 bytes");
      return NULL;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "“url” must be an http:// or https:// URL with a host");
      return NULL;
    }
  return g_steal_pointer (&uri);
}

/* Every address @host has must be allowed: one private address among public ones would let a
 * resolver that answers in turn reach it. */
static gboolean
addresses_allowed (GList       *addresses,
                   const char  *host,
                   GError     **error)
{
  for (GList *l = addresses; l != NULL; l = l->next)
    if (!confab_webhooks_address_allowed (l->data))
      {
        g_autofree char *text = g_inet_address_to_string (l->data);

        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "The host “%s” is a loopback, private, link-local or otherwise non-public "
                     "address (%s): webhooks go to public addresses only", host, text);
        return FALSE;
      }
  return TRUE;
}

static void
check_resolved (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  const char *host = g_task_get_task_data (task);

  if (addresses == NULL)
    return g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    "The host “%s” cannot be resolved", host);
  if (!addresses_allowed (addresses, host, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
  g_resolver_free_addresses (addresses);
}

void
confab_webhooks_check_url_async (ConfabRelay         *relay,
                                 const char          *url,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = parse_url (url, &error);
  g_autoptr (GResolver) resolver = NULL;

  if (uri == NULL)
    return g_task_return_error (task, g_steal_pointer (&error));
  if (relay->config->webhooks_allow_private)
    return g_task_return_boolean (task, TRUE);

  g_task_set_task_data (task, g_strdup (g_uri_get_host (uri)), g_free);
  resolver = g_resolver_get_default ();
  g_resolver_lookup_by_name_async (resolver, g_uri_get_host (uri), cancellable, check_resolved,
                                   g_steal_pointer (&task));
}

gboolean
confab_webhooks_check_url_finish (GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
confab_webhooks_signature (const char *secret,
                           gint64      unix_seconds,
                           const char *body)
{
  g_autofree char *signed_text = g_strdup_printf ("%" G_GINT64_FORMAT ".%s", unix_seconds, body);
  g_autofree char *hex = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                    strlen (secret), signed_text, -1);

  return g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", unix_seconds, hex);
}

/* --- payloads ------------------------------------------------------------------------- */

/* The body of @delivery: {"id","event","created_at","site_id","data"}; NULL with @error when what
 * it is about is gone (a deleted conversation). */
static char *
make_payload (ConfabWebhooks        *webhooks,
              const ConfabDelivery  *delivery,
              GError               **error)
{
  ConfabStore *store = webhooks->relay->store;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autofree char *created_at = confab_format_time (delivery->created_at);
  JsonObject *data = json_object_new ();

  json_object_set_string_member (body, "id", delivery->id);
  json_object_set_string_member (body, "event", delivery->event);
  json_object_set_string_member (body, "created_at", created_at);
  json_object_set_string_member (body, "site_id", delivery->site_id);
  json_object_set_object_member (body, "data", data);

  conversation = confab_store_get_conversation (store, delivery->conversation_id, error);
  if (conversation == NULL)
    return NULL;

  if (strcmp (delivery->event, "message.created") == 0)
    {
      g_autoptr (GPtrArray) messages = confab_store_list_messages (store, conversation->id,
                                                                   delivery->seq - 1, 1, error);
      ConfabMessage *message;

      if (messages == NULL)
        return NULL;
      if (messages->len == 0 || (message = g_ptr_array_index (messages, 0))->seq != delivery->seq)
        {
          g_set_error_literal (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND,
                               "The message was deleted before it could be sent");
          return NULL;
        }
      json_object_set_string_member (data, "conversation_id", conversation->id);
      json_object_set_object_member (data, "message",
                                     confab_message_to_json (message, CONFAB_AUDIENCE_AGENT));
    }
  else if (strcmp (delivery->event, "rating.created") == 0)
    {
      JsonObject *rating = confab_rating_to_json (store, conversation->id);

      json_object_set_string_member (data, "conversation_id", conversation->id);
      if (rating != NULL)
        json_object_set_object_member (data, "rating", rating);
      else
        json_object_set_null_member (data, "rating");
    }
  else
    json_object_set_object_member (data, "conversation",
                                   confab_conversation_to_json (store, conversation,
                                                                CONFAB_AUDIENCE_AGENT));

  return confab_json_object_to_string (body);
}

/* --- attempts ------------------------------------------------------------------------- */

static void
record (ConfabWebhooks       *webhooks,
        const char           *delivery_id,
        ConfabDeliveryStatus  status,
        gint64                response_status,
        const char           *error_text,
        gint64                next_attempt_at)
{
  g_autoptr (GError) error = NULL;

  /* outside the hub's batch, with the writer thread idle: a write of its own */
  confab_hub_sync (webhooks->relay->hub);
  if (!confab_store_record_attempt (webhooks->relay->store, delivery_id, status, response_status,
                                    error_text, next_attempt_at,
                                    status == CONFAB_DELIVERY_DELIVERED ? confab_now_ms () : 0,
                                    &error) &&
      !g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
    g_warning ("Cannot record webhook delivery %s: %s", delivery_id, error->message);
}

/* After a failed attempt: again after initial × 2^(attempts − 1) seconds (at most retry-max),
 * unless that is past retry-for after the event: then it has failed for good. */
static void
attempt_failed (Attempt    *attempt,
                gint64      response_status,
                const char *error_text,
                gboolean    final)
{
  ConfabConfig *config = attempt->webhooks->relay->config;
  gint64 attempts = attempt->attempts + 1;
  gint64 delay_s = config->webhooks_retry_initial;
  gint64 next;

  for (gint64 i = 1; i < attempts && delay_s < config->webhooks_retry_max; i++)
    delay_s *= 2;
  delay_s = MIN (delay_s, (gint64) config->webhooks_retry_max);
  /* the test clock in a test build (confab-targets.h): tests move on instead of waiting */
  next = confab_clock_now_ms () + delay_s * 1000;

  if (final || next > attempt->created_at + (gint64) config->webhooks_retry_for * 1000)
    {
      g_message ("Webhook %s: delivery %s (%s) failed after %" G_GINT64_FORMAT " attempts: %s",
                 attempt->webhook_id, attempt->delivery_id, attempt->event, attempts, error_text);
      record (attempt->webhooks, attempt->delivery_id, CONFAB_DELIVERY_FAILED, response_status,
              error_text, 0);
    }
  else
    record (attempt->webhooks, attempt->delivery_id, CONFAB_DELIVERY_PENDING, response_status,
            error_text, next);
}

static void
attempt_done (Attempt *attempt)
{
  ConfabWebhooks *webhooks = attempt->webhooks;

  if (webhooks != NULL)
    g_hash_table_remove (webhooks->in_flight, attempt->delivery_id);
  else
    attempt_free (attempt);
}

static gboolean
on_deadline (gpointer user_data)
{
  Attempt *attempt = user_data;

  attempt->deadline = 0;
  attempt->timed_out = TRUE;
  g_cancellable_cancel (attempt->cancellable);
  return G_SOURCE_REMOVE;
}

/* The address the connection reached, whatever the name resolved to a moment ago. */
static void
on_network_event (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  Attempt *attempt = user_data;
  g_autoptr (GSocketAddress) remote = NULL;

  if (event != G_SOCKET_CLIENT_CONNECTED || !G_IS_SOCKET_CONNECTION (connection) ||
      attempt->webhooks == NULL || attempt->webhooks->relay->config->webhooks_allow_private)
    return;

  remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (connection), NULL);
  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote) ||
      !confab_webhooks_address_allowed (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote))))
    {
      attempt->refused = TRUE;
      g_cancellable_cancel (attempt->cancellable);
    }
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Attempt *attempt = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  guint status = msg != NULL ? soup_message_get_status (msg) : 0;

  if (attempt->webhooks == NULL)
    return attempt_done (attempt);

  if (attempt->refused)
    attempt_failed (attempt, 0, "Refused: the host's address is loopback, private or link-local", TRUE);
  else if (attempt->timed_out || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_autofree char *text = g_strdup_printf ("No answer within %u s",
                                               attempt->webhooks->relay->config->webhooks_timeout);
      attempt_failed (attempt, 0, text, FALSE);
    }
  else if (answer == NULL)
    {
      g_autofree char *text = g_utf8_substring (error->message, 0, MAX_ERROR_CHARS);
      attempt_failed (attempt, 0, text, FALSE);
    }
  else if (SOUP_STATUS_IS_SUCCESSFUL (status))
    record (attempt->webhooks, attempt->delivery_id, CONFAB_DELIVERY_DELIVERED, status, NULL, 0);
  else
    {
      g_autofree char *text = SOUP_STATUS_IS_REDIRECTION (status)
        ? g_strdup_printf ("HTTP %u: redirects are not followed", status)
        : g_strdup_printf ("HTTP %u", status);
      attempt_failed (attempt, status, text, FALSE);
    }

  attempt_done (attempt);
}

static void
send_attempt (Attempt *attempt)
{
  ConfabWebhooks *webhooks = attempt->webhooks;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = g_bytes_new (attempt->payload, strlen (attempt->payload));
  g_autofree char *signature = confab_webhooks_signature (attempt->secret, confab_now_ms () / 1000,
                                                          attempt->payload);
  SoupMessageHeaders *headers;

  msg = soup_message_new ("POST", attempt->url);
  if (msg == NULL)
    {
      attempt_failed (attempt, 0, "The URL cannot be used", TRUE);
      return attempt_done (attempt);
    }
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "X-Confab-Event", attempt->event);
  soup_message_headers_replace (headers, "X-Confab-Delivery", attempt->delivery_id);
  soup_message_headers_replace (headers, "X-Confab-Signature", signature);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), attempt);

  attempt->deadline = g_timeout_add_seconds (webhooks->relay->config->webhooks_timeout,
                                             on_deadline, attempt);
  soup_session_send_and_read_async (webhooks->session, msg, G_PRIORITY_DEFAULT,
                                    attempt->cancellable, on_sent, attempt);
}

static void
on_resolved (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Attempt *attempt = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (attempt->webhooks == NULL)
    {
      g_resolver_free_addresses (addresses);
      return attempt_done (attempt);
    }
  uri = g_uri_parse (attempt->url, G_URI_FLAGS_ENCODED, NULL);

  if (addresses == NULL)
    {
      g_autofree char *text = attempt->timed_out
        ? g_strdup ("The host could not be resolved in time")
        : g_strdup_printf ("The host “%s” cannot be resolved", g_uri_get_host (uri));
      attempt_failed (attempt, 0, text, FALSE);
      return attempt_done (attempt);
    }
  if (!addresses_allowed (addresses, g_uri_get_host (uri), &error))
    {
      g_resolver_free_addresses (addresses);
      attempt_failed (attempt, 0, error->message, TRUE);
      return attempt_done (attempt);
    }
  g_resolver_free_addresses (addresses);
  g_clear_handle_id (&attempt->deadline, g_source_remove);
  send_attempt (attempt);
}

static void
start (ConfabWebhooks *webhooks,
       ConfabDelivery *delivery)
{
  ConfabStore *store = webhooks->relay->store;
  g_autoptr (ConfabWebhook) webhook = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autofree char *payload = NULL;
  gint64 lease_until;
  Attempt *attempt;

  webhook = confab_store_get_webhook (store, delivery->webhook_id, &error);
  if (webhook == NULL)
    {
      /* deleted with its webhook a moment ago: nothing left to do */
      if (!g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
        g_warning ("Cannot read webhook %s: %s", delivery->webhook_id, error->message);
      return;
    }
  if (!webhook->enabled)
    return record (webhooks, delivery->id, CONFAB_DELIVERY_FAILED, 0,
                   "The webhook was disabled before this could be sent", 0);

  /* this relay's for the attempt: another relay of the database passes it by, and after a
   * crash it is due again once the lease is over */
  lease_until = confab_clock_now_ms () +
                ((gint64) webhooks->relay->config->webhooks_timeout + LEASE_MARGIN_S) * 1000;
  if (!confab_store_claim_delivery (store, delivery->id, delivery->next_attempt_at, lease_until, &error))
    {
      if (error != NULL && !g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
        g_warning ("Cannot take webhook delivery %s: %s", delivery->id, error->message);
      return;
    }

  /* made once, at the first attempt: every retry sends the same body */
  payload = g_strdup (delivery->payload);
  if (payload == NULL)
    {
      payload = make_payload (webhooks, delivery, &error);
      if (payload == NULL)
        {
          if (!g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND))
            {
              g_warning ("Cannot make webhook delivery %s: %s", delivery->id, error->message);
              return;
            }
          return record (webhooks, delivery->id, CONFAB_DELIVERY_FAILED, 0,
                         "What this event was about was deleted before it could be sent", 0);
        }
      if (!confab_store_set_delivery_payload (store, delivery->id, payload, &error))
        {
          g_warning ("Cannot store webhook delivery %s: %s", delivery->id, error->message);
          return;
        }
    }

  attempt = g_new0 (Attempt, 1);
  attempt->webhooks = webhooks;
  attempt->delivery_id = g_strdup (delivery->id);
  attempt->event = g_strdup (delivery->event);
  attempt->webhook_id = g_strdup (webhook->id);
  attempt->url = g_strdup (webhook->url);
  attempt->secret = g_strdup (webhook->secret);
  attempt->payload = g_steal_pointer (&payload);
  attempt->attempts = delivery->attempts;
  attempt->created_at = delivery->created_at;
  attempt->cancellable = g_cancellable_new ();
  g_hash_table_insert (webhooks->in_flight, attempt->delivery_id, attempt);

  uri = g_uri_parse (webhook->url, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    {
      attempt_failed (attempt, 0, "The URL cannot be used", TRUE);
      return attempt_done (attempt);
    }
  if (webhooks->relay->config->webhooks_allow_private)
    return send_attempt (attempt);

  /* the name may point elsewhere now than when the webhook was made */
  attempt->deadline = g_timeout_add_seconds (webhooks->relay->config->webhooks_timeout,
                                             on_deadline, attempt);
  {
    g_autoptr (GResolver) resolver = g_resolver_get_default ();

    g_resolver_lookup_by_name_async (resolver, g_uri_get_host (uri), attempt->cancellable,
                                     on_resolved, attempt);
  }
}

static gboolean
on_tick (gpointer user_data)
{
  ConfabWebhooks *webhooks = user_data;
  ConfabStore *store = webhooks->relay->store;
  g_autoptr (GPtrArray) due = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now_mono = g_get_monotonic_time () / 1000;
  gint64 next;
  guint room;

  room = MAX_IN_FLIGHT - MIN (MAX_IN_FLIGHT, g_hash_table_size (webhooks->in_flight));
  if (room == 0)
    return G_SOURCE_CONTINUE;

  /* Most ticks find nothing due: one indexed read (which may see the hub's open batch: it only
   * decides whether to look further), and the hub's batch is left alone. */
  next = confab_store_next_delivery_at (store, NULL);
  if (next == 0 || next > confab_clock_now_ms ())
    goto purge;

  /* committed rows only: what the open batch holds may yet be rolled back */
  confab_hub_sync (webhooks->relay->hub);

  /* those in flight are listed too (they are skipped): ask for as many more */
  due = confab_store_list_due_deliveries (store, confab_clock_now_ms (),
                                          room + g_hash_table_size (webhooks->in_flight), &error);
  if (due == NULL)
    {
      /* another process (the admin CLI, a backup) holds the lock: the next tick tries again */
      if (!g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
        g_warning ("Cannot read the due webhook deliveries: %s", error->message);
      return G_SOURCE_CONTINUE;
    }

  for (guint i = 0; i < due->len && room > 0; i++)
    {
      ConfabDelivery *delivery = g_ptr_array_index (due, i);

      if (g_hash_table_contains (webhooks->in_flight, delivery->id))
        continue;
      start (webhooks, delivery);
      room--;
    }

purge:
  if (now_mono - webhooks->last_purge > PURGE_EVERY_MS)
    {
      gint64 cutoff = confab_now_ms () - (gint64) webhooks->relay->config->webhooks_log_days * 86400 * 1000;

      if (confab_store_purge_deliveries (store, cutoff, &error) >= 0)
        webhooks->last_purge = now_mono;
      else if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_BUSY))
        webhooks->last_purge = now_mono - PURGE_EVERY_MS + 60 * 1000; /* again in a minute */
      else
        {
          webhooks->last_purge = now_mono;
          g_warning ("Cannot forget old webhook deliveries: %s", error->message);
        }
    }

  return G_SOURCE_CONTINUE;
}

ConfabWebhooks *
confab_webhooks_new (ConfabRelay *relay)
{
  ConfabWebhooks *webhooks = g_new0 (ConfabWebhooks, 1);

  webhooks->relay = relay;
  /* test builds: CONFAB_TEST_REBIND, a name that rebinds between the check and the connection */
  confab_test_resolver_install ();
  /* no proxy: the address checked must be the address reached */
  webhooks->session = soup_session_new_with_options ("user-agent", "Confab-Webhooks/1",
                                                     /* a backstop: each attempt's own deadline
                                                      * (on_deadline) ends it first */
                                                     "timeout", relay->config->webhooks_timeout + 5,
                                                     "max-conns-per-host", 2,
                                                     NULL);
  soup_session_set_proxy_resolver (webhooks->session, NULL);
  webhooks->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                               (GDestroyNotify) attempt_free);
  /* the first purge a minute after the start, when the relay has settled */
  webhooks->last_purge = g_get_monotonic_time () / 1000 - PURGE_EVERY_MS + 60 * 1000;
  webhooks->tick = g_timeout_add (TICK_MS, on_tick, webhooks);
  return webhooks;
}

void
confab_webhooks_free (ConfabWebhooks *webhooks)
{
  GHashTableIter iter;
  gpointer value;

  if (webhooks == NULL)
    return;

  g_clear_handle_id (&webhooks->tick, g_source_remove);
  /* attempts under way finish on their own, after this: they find no sender and free themselves */
  g_hash_table_iter_init (&iter, webhooks->in_flight);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Attempt *attempt = value;

      attempt->webhooks = NULL;
      g_clear_handle_id (&attempt->deadline, g_source_remove);
      g_cancellable_cancel (attempt->cancellable);
      g_hash_table_iter_steal (&iter);
    }
  g_hash_table_unref (webhooks->in_flight);
  soup_session_abort (webhooks->session);
  g_clear_object (&webhooks->session);
  g_free (webhooks);
}
