/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-bus"

#include "confab-bus.h"

#include <gio/gio.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/glib.h>
#include <string.h>
#include <unistd.h>

/* Channel names; a frame's payload is "<seq>\t<node>\n<json>". */
#define RELAY_CHANNEL        "confab:relay"
#define SITE_CHANNEL_PREFIX  "confab:site:"
/* What hiredis may hold unsent before a publish is refused rather than queued: a Redis that
 * does not keep up must not grow the relay's memory without bound. */
#define MAX_UNSENT_BYTES     (8 * 1024 * 1024)
#define RECONNECT_MIN_MS     100
#define RECONNECT_MAX_MS     5000
/* From connect() to ready (AUTH, SELECT, SUBSCRIBE answered): a Redis behind a black hole or
 * one that accepts and never answers must not leave the link half open for ever. */
#define CONNECT_TIMEOUT_MS   5000

G_DEFINE_QUARK (confab-bus-error-quark, confab_bus_error)

typedef struct _BusLink BusLink;

struct _BusLink
{
  ConfabBus         *bus;
  gboolean           subscriber;
  redisAsyncContext *ac;
  GSource           *source;
  gboolean           ready;       /* authenticated, db selected / relay channel subscribed */
  guint              retry_id;
  guint              timeout_id;  /* until ready */
  guint              backoff_ms;
  guint              attempts;    /* picks the next of a name's addresses after a failure */
  GCancellable      *resolving;
};

struct _ConfabBus
{
  GObject           parent_instance;

  char             *host;         /* NULL for a unix socket */
  guint16           port;
  char             *unix_path;
  guint             db;
  char             *password;     /* never logged */
  char             *node_name;
  guint             reconnect_max_ms;
  guint             connect_timeout_ms;

  GMainContext     *context;
  gboolean          started;
  gboolean          disposing;
  gboolean          up;
  gboolean          was_up;
  BusLink           pub;
  BusLink           sub;

  GHashTable       *sites;        /* site id → TRUE: channels subscribed (or to subscribe) */
  GHashTable       *out_seq;      /* channel → guint64* last published */
  GHashTable       *in_seq;       /* "node\tchannel" → guint64* last received */
  GHashTable       *scripts;      /* SHA-1 → Lua source */

  ConfabBusStats    stats;

  ConfabBusHandler  handler;
  gpointer          handler_data;
  GDestroyNotify    handler_destroy;
};

enum {
  PROP_0,
  PROP_CONNECTED,
  PROP_NODE_NAME,
  N_PROPS
};

enum {
  LINK_LOST,
  LINK_RESTORED,
  GAP,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabBus, confab_bus, G_TYPE_OBJECT)

static void link_connect (BusLink *link);
static gboolean retry_cb (gpointer data);

static guint
add_timeout (ConfabBus   *bus,
             guint        interval_ms,
             GSourceFunc  func,
             gpointer     data)
{
  g_autoptr (GSource) source = g_timeout_source_new (interval_ms);

  g_source_set_callback (source, func, data, NULL);
  return g_source_attach (source, bus->context);
}

static void
remove_timeout (ConfabBus *bus,
                guint     *id)
{
  GSource *source;

  if (*id == 0)
    return;
  source = g_main_context_find_source_by_id (bus->context, *id);
  if (source != NULL)
    g_source_destroy (source);
  *id = 0;
}

static char *
site_channel (const char *site_id)
{
  if (site_id == NULL)
    return g_strdup (RELAY_CHANNEL);
  return g_strconcat (SITE_CHANNEL_PREFIX, site_id, NULL);
}

static void
update_state (ConfabBus *bus)
{
  gboolean up = bus->pub.ready && bus->sub.ready;

  if (up == bus->up || bus->disposing)
    return;

  bus->up = up;
  g_object_notify_by_pspec (G_OBJECT (bus), properties[PROP_CONNECTED]);
  if (up)
    {
      g_info ("Redis link up (node %s)", bus->node_name);
      /* not on the first connection: a hub that ran without one (Redis away at its start)
       * watches "connected" for that (confab-hub-cluster.c) */
      if (bus->was_up)
        g_signal_emit (bus, signals[LINK_RESTORED], 0);
      bus->was_up = TRUE;
    }
  else
    {
      g_message ("Redis link lost; live frames from other relays wait until it is back");
      bus->stats.links_lost++;
      g_signal_emit (bus, signals[LINK_LOST], 0);
    }
}

/* The context is gone or going (hiredis frees it after the callback that tells us): forget it
 * and try again later. Its GSource lost its poll in the adapter's cleanup and stays inert
 * until the next attempt destroys it. */
static void
link_dead (BusLink    *link,
           const char *why)
{
  ConfabBus *bus = link->bus;

  if (link->ac != NULL)
    {
      RedisSource *source = link->ac->ev.data;

      /* hiredis may free the context inside the adapter's dispatch between its write and read
       * handlers: no read must follow on the freed context */
      if (source != NULL)
        source->poll_fd.revents = 0;
      link->ac->data = NULL;
      link->ac = NULL;
    }

  link->ready = FALSE;
  if (bus->disposing)
    return;
  remove_timeout (bus, &link->timeout_id);

  /* whatever was missed is re-read from the log on link-restored, not reported as gaps */
  if (link->subscriber)
    g_hash_table_remove_all (bus->in_seq);

  g_debug ("Redis %s connection down: %s", link->subscriber ? "subscriber" : "command", why);
  update_state (bus);

  if (link->retry_id == 0)
    {
      link->backoff_ms = link->backoff_ms == 0
        ? RECONNECT_MIN_MS : MIN (link->backoff_ms * 2, bus->reconnect_max_ms);
      link->retry_id = add_timeout (bus, link->backoff_ms, retry_cb, link);
    }
}

static gboolean
retry_cb (gpointer data)
{
  link_connect (data);
  return G_SOURCE_REMOVE;
}

static void
link_ready (BusLink *link)
{
  link->ready = TRUE;
  link->backoff_ms = 0;
  link->attempts = 0;
  remove_timeout (link->bus, &link->timeout_id);
  update_state (link->bus);
}

static gboolean
on_connect_timeout (gpointer data)
{
  BusLink *link = data;
  redisAsyncContext *ac = g_steal_pointer (&link->ac);

  link->timeout_id = 0;
  if (ac != NULL)
    {
      /* hiredis does not call back for a context that never connected: nothing must reach
       * the link from it, and it is declared dead here */
      ac->data = NULL;
      redisAsyncFree (ac);
    }
  link_dead (link, "no answer in time");
  return G_SOURCE_REMOVE;
}

static void
on_disconnect (const redisAsyncContext *ac,
               int                      status)
{
  BusLink *link = ac->data;

  if (link != NULL)
    link_dead (link, status == REDIS_OK ? "closed" : ac->errstr);
}

static void
on_message (redisAsyncContext *ac,
            void              *r,
            void              *privdata)
{
  BusLink *link = ac->data;
  redisReply *reply = r;
  ConfabBus *bus;
  const char *kind, *channel, *payload, *tab, *newline, *site_id = NULL;
  g_autofree char *node = NULL;
  g_autofree char *key = NULL;
  guint64 seq, *last;

  (void) privdata;
  if (link == NULL || reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
    return;
  bus = link->bus;

  kind = reply->element[0]->str;
  channel = reply->element[1]->str;
  if (kind == NULL || channel == NULL)
    return;

  if (strcmp (kind, "subscribe") == 0)
    {
      if (strcmp (channel, RELAY_CHANNEL) == 0 && !link->ready)
        link_ready (link);
      return;
    }
  if (strcmp (kind, "message") != 0 || reply->element[2]->type != REDIS_REPLY_STRING)
    return;

  payload = reply->element[2]->str;
  tab = strchr (payload, '\t');
  newline = tab != NULL ? strchr (tab, '\n') : NULL;
  if (tab == NULL || newline == NULL)
    {
      g_debug ("Ignoring a malformed frame on %s", channel);
      return;
    }

  node = g_strndup (tab + 1, newline - tab - 1);
  if (strcmp (node, bus->node_name) == 0)
    return;

  seq = g_ascii_strtoull (payload, NULL, 10);
  if (g_str_has_prefix (channel, SITE_CHANNEL_PREFIX))
    site_id = channel + strlen (SITE_CHANNEL_PREFIX);

  /* Redis drops pub/sub messages without a word (a subscriber's output buffer limit, a
   * publisher that refused to queue): a hole in a relay's sequence is the only sign. */
  key = g_strconcat (node, "\t", channel, NULL);
  last = g_hash_table_lookup (bus->in_seq, key);
  if (last == NULL)
    {
      last = g_new0 (guint64, 1);
      g_hash_table_insert (bus->in_seq, g_steal_pointer (&key), last);
    }
  else if (seq > *last + 1)
    {
      g_info ("Missed %" G_GUINT64_FORMAT " frames from %s", seq - *last - 1, node);
      bus->stats.gaps++;
      g_signal_emit (bus, signals[GAP], 0, site_id, node);
    }
  /* seq <= *last: that relay restarted under the same name and counts from 1 again */
  *last = seq;

  bus->stats.received++;
  if (bus->handler != NULL)
    bus->handler (bus, site_id, node, seq, newline + 1, bus->handler_data);
}

static void
subscribe_channel (BusLink    *link,
                   const char *channel,
                   gboolean    subscribe)
{
  const char *argv[] = { subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE", channel };

  redisAsyncCommandArgv (link->ac, subscribe ? on_message : NULL, NULL, 2, argv, NULL);
}

static void
on_setup_reply (redisAsyncContext *ac,
                void              *r,
                void              *privdata)
{
  BusLink *link = ac->data;
  redisReply *reply = r;
  gboolean last = GPOINTER_TO_INT (privdata);

  if (link == NULL || reply == NULL)
    return;

  if (reply->type == REDIS_REPLY_ERROR)
    {
      /* a wrong password or db: say so and retry later, the operator may fix Redis' side */
      g_message ("Redis refused the relay's setup: %s", reply->str);
      redisAsyncDisconnect (ac);
      return;
    }

  if (last && !link->subscriber)
    link_ready (link);
}

static void
load_scripts (ConfabBus         *bus,
              redisAsyncContext *ac)
{
  GHashTableIter iter;
  gpointer source;

  g_hash_table_iter_init (&iter, bus->scripts);
  while (g_hash_table_iter_next (&iter, NULL, &source))
    {
      const char *argv[] = { "SCRIPT", "LOAD", source };

      redisAsyncCommandArgv (ac, on_setup_reply, GINT_TO_POINTER (FALSE), 3, argv, NULL);
    }
}

static void
on_connect (const redisAsyncContext *cac,
            int                      status)
{
  redisAsyncContext *ac = (redisAsyncContext *) cac;
  BusLink *link = ac->data;
  ConfabBus *bus;

  if (link == NULL)
    return;
  if (status != REDIS_OK)
    {
      link_dead (link, ac->errstr);
      return;
    }

  bus = link->bus;
  /* TCP keepalive (hiredis: every 15 s): a link whose peer vanished, a machine gone or a NAT
   * that forgot it, is noticed without a frame to send */
  if (bus->unix_path == NULL)
    redisEnableKeepAlive (&ac->c);
  if (bus->password != NULL)
    {
      const char *argv[] = { "AUTH", bus->password };
      redisAsyncCommandArgv (ac, on_setup_reply, GINT_TO_POINTER (FALSE), 2, argv, NULL);
    }

  if (link->subscriber)
    {
      GHashTableIter iter;
      gpointer site_id;

      g_hash_table_iter_init (&iter, bus->sites);
      while (g_hash_table_iter_next (&iter, &site_id, NULL))
        {
          g_autofree char *channel = site_channel (site_id);
          subscribe_channel (link, channel, TRUE);
        }
      /* last: Redis answers in order, so once it is confirmed every site channel is too */
      subscribe_channel (link, RELAY_CHANNEL, TRUE);
    }
  else
    {
      g_autofree char *db = g_strdup_printf ("%u", bus->db);

      load_scripts (bus, ac);
      const char *argv[] = { "SELECT", db };
      redisAsyncCommandArgv (ac, on_setup_reply, GINT_TO_POINTER (TRUE), 2, argv, NULL);
    }
}

static void
link_open (BusLink    *link,
           const char *ip)
{
  ConfabBus *bus = link->bus;
  redisAsyncContext *ac;

  ac = ip != NULL ? redisAsyncConnect (ip, bus->port) : redisAsyncConnectUnix (bus->unix_path);
  if (ac == NULL || ac->err)
    {
      g_autofree char *why = g_strdup (ac != NULL ? ac->errstr : "out of memory");
      g_clear_pointer (&ac, redisAsyncFree);
      link_dead (link, why);
      return;
    }

  link->ac = ac;
  ac->data = link;
  link->timeout_id = add_timeout (bus, bus->connect_timeout_ms, on_connect_timeout, link);
  link->source = redis_source_new (ac);
  g_source_attach (link->source, bus->context);
  redisAsyncSetConnectCallback (ac, on_connect);
  redisAsyncSetDisconnectCallback (ac, on_disconnect);
}

static void
on_resolved (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  BusLink *link = user_data;
  g_autoptr (GError) error = NULL;
  g_autolist (GInetAddress) addresses = NULL;
  g_autofree char *ip = NULL;
  GInetAddress *address;

  addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&link->resolving);
  if (addresses == NULL)
    {
      link_dead (link, error->message);
      return;
    }

  /* a name with several addresses (localhost: ::1 and 127.0.0.1) is tried one after the other */
  address = g_list_nth_data (addresses, link->attempts++ % g_list_length (addresses));
  ip = g_inet_address_to_string (address);
  link_open (link, ip);
}

static void
link_connect (BusLink *link)
{
  ConfabBus *bus = link->bus;
  g_autoptr (GInetAddress) literal = NULL;

  link->retry_id = 0;
  if (link->source != NULL)
    {
      g_source_destroy (link->source);
      g_clear_pointer (&link->source, g_source_unref);
    }

  if (bus->unix_path != NULL)
    {
      link_open (link, NULL);
      return;
    }

  /* hiredis resolves names with a blocking getaddrinfo(): only ever hand it an address */
  literal = g_inet_address_new_from_string (bus->host);
  if (literal != NULL)
    {
      link_open (link, bus->host);
      return;
    }

  link->resolving = g_cancellable_new ();
  g_resolver_lookup_by_name_async (g_resolver_get_default (), bus->host, link->resolving,
                                   on_resolved, link);
}

static void
link_close (BusLink *link)
{
  remove_timeout (link->bus, &link->retry_id);
  remove_timeout (link->bus, &link->timeout_id);
  if (link->resolving != NULL)
    {
      g_cancellable_cancel (link->resolving);
      g_clear_object (&link->resolving);
    }
  if (link->ac != NULL)
    {
      redisAsyncContext *ac = g_steal_pointer (&link->ac);

      /* replies still pending get NULL and a freed link must not be reached from them */
      ac->data = NULL;
      redisAsyncFree (ac);
    }
  if (link->source != NULL)
    {
      g_source_destroy (link->source);
      g_clear_pointer (&link->source, g_source_unref);
    }
  link->ready = FALSE;
}

static void
confab_bus_dispose (GObject *object)
{
  ConfabBus *bus = CONFAB_BUS (object);

  bus->disposing = TRUE;
  link_close (&bus->pub);
  link_close (&bus->sub);
  if (bus->handler_destroy != NULL)
    g_clear_pointer (&bus->handler_data, bus->handler_destroy);
  bus->handler = NULL;

  G_OBJECT_CLASS (confab_bus_parent_class)->dispose (object);
}

static void
confab_bus_finalize (GObject *object)
{
  ConfabBus *bus = CONFAB_BUS (object);

  g_free (bus->host);
  g_free (bus->unix_path);
  g_free (bus->password);
  g_free (bus->node_name);
  g_clear_pointer (&bus->context, g_main_context_unref);
  g_hash_table_unref (bus->sites);
  g_hash_table_unref (bus->out_seq);
  g_hash_table_unref (bus->in_seq);
  g_hash_table_unref (bus->scripts);

  G_OBJECT_CLASS (confab_bus_parent_class)->finalize (object);
}

static void
confab_bus_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  ConfabBus *bus = CONFAB_BUS (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, bus->up);
      break;
    case PROP_NODE_NAME:
      g_value_set_string (value, bus->node_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_bus_class_init (ConfabBusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_bus_dispose;
  object_class->finalize = confab_bus_finalize;
  object_class->get_property = confab_bus_get_property;

  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_NODE_NAME] =
    g_param_spec_string ("node-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The link went down: frames from other relays are missed from now on. */
  signals[LINK_LOST] =
    g_signal_new ("link-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Back after a loss (not on the first connection): re-read the log from the last cursor. */
  signals[LINK_RESTORED] =
    g_signal_new ("link-restored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Frames of a site (NULL: relay-wide) from a node were missed while the link stayed up. */
  signals[GAP] =
    g_signal_new ("gap", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
confab_bus_init (ConfabBus *bus)
{
  bus->pub.bus = bus;
  bus->sub.bus = bus;
  bus->sub.subscriber = TRUE;
  bus->sites = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  bus->out_seq = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  bus->in_seq = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  bus->scripts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static gboolean
parse_url (ConfabBus   *bus,
           const char  *url,
           GError     **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *scheme, *path, *password;

  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_QUERY, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, CONFAB_BUS_ERROR, CONFAB_BUS_ERROR_BAD_URL,
                   "[cluster] redis is not a URL (redis://host:port/db or unix:///path?db=N)");
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  path = g_uri_get_path (uri);
  password = g_uri_get_password (uri);
  if (password != NULL && *password != '\0')
    bus->password = g_uri_unescape_string (password, NULL);

  if (g_ascii_strcasecmp (scheme, "redis") == 0)
    {
      const char *db = path[0] == '/' ? path + 1 : path;
      guint64 n = 0;

      if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
          || (*db != '\0' && !g_ascii_string_to_unsigned (db, 10, 0, 15, &n, NULL)))
        {
          g_set_error (error, CONFAB_BUS_ERROR, CONFAB_BUS_ERROR_BAD_URL,
                       "[cluster] redis needs a host and a database 0–15: redis://host:port/db");
          return FALSE;
        }
      bus->host = g_strdup (g_uri_get_host (uri));
      bus->port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 6379;
      bus->db = n;
      return TRUE;
    }

  if (g_ascii_strcasecmp (scheme, "unix") == 0 && path[0] == '/')
    {
      const char *query = g_uri_get_query (uri);
      guint64 n = 0;

      if (query != NULL
          && (!g_str_has_prefix (query, "db=")
              || !g_ascii_string_to_unsigned (query + 3, 10, 0, 15, &n, NULL)))
        {
          g_set_error (error, CONFAB_BUS_ERROR, CONFAB_BUS_ERROR_BAD_URL,
                       "[cluster] redis: a unix socket takes only ?db=N (0–15)");
          return FALSE;
        }
      bus->unix_path = g_strdup (path);
      bus->db = n;
      return TRUE;
    }

  g_set_error (error, CONFAB_BUS_ERROR, CONFAB_BUS_ERROR_BAD_URL,
               "[cluster] redis must be redis://host:port/db or unix:///path?db=N");
  return FALSE;
}

ConfabBus *
confab_bus_new (const ConfabClusterConfig  *config,
                GError                    **error)
{
  g_autoptr (ConfabBus) bus = g_object_new (CONFAB_TYPE_BUS, NULL);

  g_return_val_if_fail (config != NULL && config->redis != NULL && *config->redis != '\0', NULL);

  if (!parse_url (bus, config->redis, error))
    return NULL;

  if (config->node_name != NULL && *config->node_name != '\0')
    {
      if (strpbrk (config->node_name, "\t\n\r") != NULL
          || !g_utf8_validate (config->node_name, -1, NULL))
        {
          g_set_error (error, CONFAB_BUS_ERROR, CONFAB_BUS_ERROR_BAD_NODE_NAME,
                       "[cluster] node-name must be one line of text without tabs");
          return NULL;
        }
      bus->node_name = g_strdup (config->node_name);
    }
  else
    bus->node_name = g_strdup_printf ("%s-%d", g_get_host_name (), (int) getpid ());

  bus->reconnect_max_ms =
    config->reconnect_max_ms > 0 ? config->reconnect_max_ms : RECONNECT_MAX_MS;
  bus->connect_timeout_ms =
    config->connect_timeout_ms > 0 ? config->connect_timeout_ms : CONNECT_TIMEOUT_MS;

  return g_steal_pointer (&bus);
}

void
confab_bus_set_handler (ConfabBus        *bus,
                        ConfabBusHandler  handler,
                        gpointer          user_data,
                        GDestroyNotify    destroy)
{
  g_return_if_fail (CONFAB_IS_BUS (bus));

  if (bus->handler_destroy != NULL)
    g_clear_pointer (&bus->handler_data, bus->handler_destroy);
  bus->handler = handler;
  bus->handler_data = user_data;
  bus->handler_destroy = destroy;
}

void
confab_bus_start (ConfabBus *bus)
{
  g_return_if_fail (CONFAB_IS_BUS (bus));
  g_return_if_fail (!bus->started);

  bus->started = TRUE;
  bus->context = g_main_context_ref_thread_default ();
  link_connect (&bus->pub);
  link_connect (&bus->sub);
}

const char *
confab_bus_get_node_name (ConfabBus *bus)
{
  g_return_val_if_fail (CONFAB_IS_BUS (bus), NULL);

  return bus->node_name;
}

gboolean
confab_bus_is_connected (ConfabBus *bus)
{
  g_return_val_if_fail (CONFAB_IS_BUS (bus), FALSE);

  return bus->up;
}

/* on_connect() has run: it subscribed every site known then, later ones go one by one */
static gboolean
link_connected (BusLink *link)
{
  return link->ac != NULL && (link->ac->c.flags & REDIS_CONNECTED) != 0;
}

void
confab_bus_subscribe_site (ConfabBus  *bus,
                           const char *site_id)
{
  g_autofree char *channel = NULL;

  g_return_if_fail (CONFAB_IS_BUS (bus));
  g_return_if_fail (site_id != NULL);

  if (!g_hash_table_add (bus->sites, g_strdup (site_id)))
    return;

  channel = site_channel (site_id);
  if (link_connected (&bus->sub))
    subscribe_channel (&bus->sub, channel, TRUE);
  /* else: subscribed with the others once connected */
}

void
confab_bus_unsubscribe_site (ConfabBus  *bus,
                             const char *site_id)
{
  g_autofree char *channel = NULL;
  g_autofree char *suffix = NULL;
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (CONFAB_IS_BUS (bus));
  g_return_if_fail (site_id != NULL);

  if (!g_hash_table_remove (bus->sites, site_id))
    return;

  channel = site_channel (site_id);
  if (link_connected (&bus->sub))
    subscribe_channel (&bus->sub, channel, FALSE);

  /* the receive sequences of a channel no longer heard would only grow the table */
  suffix = g_strconcat ("\t", channel, NULL);
  g_hash_table_iter_init (&iter, bus->in_seq);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_has_suffix (key, suffix))
      g_hash_table_iter_remove (&iter);
}

gboolean
confab_bus_publish (ConfabBus  *bus,
                    const char *site_id,
                    const char *json)
{
  g_autofree char *channel = NULL;
  g_autofree char *payload = NULL;
  guint64 *seq;
  const char *argv[3];
  size_t argvlen[3];

  g_return_val_if_fail (CONFAB_IS_BUS (bus), FALSE);
  g_return_val_if_fail (json != NULL, FALSE);

  channel = site_channel (site_id);
  seq = g_hash_table_lookup (bus->out_seq, channel);
  if (seq == NULL)
    {
      seq = g_new0 (guint64, 1);
      g_hash_table_insert (bus->out_seq, g_strdup (channel), seq);
    }
  /* counted even when not sent, so that the others see the hole and read the log */
  (*seq)++;

  if (!bus->pub.ready || bus->pub.ac == NULL
      || sdslen (bus->pub.ac->c.obuf) > MAX_UNSENT_BYTES)
    {
      bus->stats.refused++;
      return FALSE;
    }

  payload = g_strdup_printf ("%" G_GUINT64_FORMAT "\t%s\n%s", *seq, bus->node_name, json);
  argv[0] = "PUBLISH";
  argv[1] = channel;
  argv[2] = payload;
  argvlen[0] = 7;
  argvlen[1] = strlen (channel);
  argvlen[2] = strlen (payload);

  if (redisAsyncCommandArgv (bus->pub.ac, NULL, NULL, 3, argv, argvlen) != REDIS_OK)
    {
      bus->stats.refused++;
      return FALSE;
    }
  bus->stats.published++;
  return TRUE;
}

void
confab_bus_get_stats (ConfabBus      *bus,
                      ConfabBusStats *out_stats)
{
  g_return_if_fail (CONFAB_IS_BUS (bus));
  g_return_if_fail (out_stats != NULL);

  *out_stats = bus->stats;
}

const char *
confab_bus_add_script (ConfabBus  *bus,
                       const char *source)
{
  g_autofree char *sha = NULL;
  gpointer key = NULL;

  g_return_val_if_fail (CONFAB_IS_BUS (bus), NULL);
  g_return_val_if_fail (source != NULL, NULL);

  sha = g_compute_checksum_for_string (G_CHECKSUM_SHA1, source, -1);
  if (!g_hash_table_contains (bus->scripts, sha))
    {
      /* commands on one connection run in order: every EVALSHA sent after this finds it */
      if (link_connected (&bus->pub))
        {
          const char *argv[] = { "SCRIPT", "LOAD", source };

          redisAsyncCommandArgv (bus->pub.ac, NULL, NULL, 3, argv, NULL);
        }
      g_hash_table_insert (bus->scripts, g_strdup (sha), g_strdup (source));
    }

  /* the table's own copy: it lives as long as the bus */
  g_hash_table_lookup_extended (bus->scripts, sha, &key, NULL);
  return key;
}

gboolean
confab_bus_check_script_reply (ConfabBus               *bus,
                               const struct redisReply *reply)
{
  g_return_val_if_fail (CONFAB_IS_BUS (bus), FALSE);

  if (reply == NULL || reply->type != REDIS_REPLY_ERROR || reply->str == NULL
      || !g_str_has_prefix (reply->str, "NOSCRIPT"))
    return FALSE;

  g_message ("Redis lost the relay's scripts (SCRIPT FLUSH?): loading them again");
  if (link_connected (&bus->pub))
    load_scripts (bus, bus->pub.ac);
  return TRUE;
}

redisAsyncContext *
confab_bus_get_command_context (ConfabBus *bus)
{
  g_return_val_if_fail (CONFAB_IS_BUS (bus), NULL);

  return bus->pub.ready ? bus->pub.ac : NULL;
}
