/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-presence"

#include "confab-presence.h"

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <string.h>

/* A site's presence is one hash, "confab:presence:<site>", field "<agent>\t<node>", value
 * "<expires ms>\t<status>". Redis 7 has no expiry per field, so each value carries its own and
 * readers skip (and delete) the stale ones; the hash as a whole expires when no relay refreshes
 * it. Times are Redis' own clock, so relays need not agree on theirs. */
static const char set_script[] =
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "local ttl = tonumber(ARGV[1])\n"
  "for i = 2, #ARGV, 2 do\n"
  "  redis.call('HSET', KEYS[1], ARGV[i], tostring(now + ttl) .. '\\t' .. ARGV[i + 1])\n"
  "end\n"
  "redis.call('PEXPIRE', KEYS[1], ttl)\n"
  "return #ARGV\n";

static const char list_script[] =
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "local all = redis.call('HGETALL', KEYS[1])\n"
  "local live = {}\n"
  "for i = 1, #all, 2 do\n"
  "  local tab = string.find(all[i + 1], '\\t', 1, true)\n"
  "  if tab and tonumber(string.sub(all[i + 1], 1, tab - 1)) > now then\n"
  "    live[#live + 1] = all[i]\n"
  "    live[#live + 1] = string.sub(all[i + 1], tab + 1)\n"
  "  else\n"
  "    redis.call('HDEL', KEYS[1], all[i])\n"
  "  end\n"
  "end\n"
  "return live\n";

struct _ConfabPresence
{
  GObject     parent_instance;

  ConfabBus  *bus;
  guint       ttl_ms;
  char        ttl_arg[16];
  const char *set_sha;      /* owned by the bus */
  const char *list_sha;
  GHashTable *local;        /* site id → (agent id → status) */
  guint       heartbeat_id;
  gulong      restored_id;
};

G_DEFINE_FINAL_TYPE (ConfabPresence, confab_presence, G_TYPE_OBJECT)

void
confab_presence_entry_free (ConfabPresenceEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->agent_id);
  g_free (entry->node);
  g_free (entry->status);
  g_free (entry);
}

static char *
site_key (const char *site_id)
{
  return g_strconcat ("confab:presence:", site_id, NULL);
}

static char *
field (ConfabPresence *presence,
       const char     *agent_id)
{
  return g_strconcat (agent_id, "\t", confab_bus_get_node_name (presence->bus), NULL);
}

/* Writes @agents of @site_id (agent id → status), or all of them when @only_agent is NULL. */
static void
write_site (ConfabPresence *presence,
            const char     *site_id,
            GHashTable     *agents,
            const char     *only_agent)
{
  redisAsyncContext *ac = confab_bus_get_command_context (presence->bus);
  g_autoptr (GPtrArray) argv = NULL;
  g_autoptr (GPtrArray) owned = NULL;
  g_autofree char *key = NULL;
  GHashTableIter iter;
  gpointer agent_id, status;

  if (ac == NULL)
    return;

  key = site_key (site_id);
  argv = g_ptr_array_new ();
  owned = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, "EVALSHA");
  g_ptr_array_add (argv, (gpointer) presence->set_sha);
  g_ptr_array_add (argv, "1");
  g_ptr_array_add (argv, key);
  g_ptr_array_add (argv, presence->ttl_arg);

  g_hash_table_iter_init (&iter, agents);
  while (g_hash_table_iter_next (&iter, &agent_id, &status))
    {
      char *f;

      if (only_agent != NULL && strcmp (only_agent, agent_id) != 0)
        continue;
      f = field (presence, agent_id);
      g_ptr_array_add (owned, f);
      g_ptr_array_add (argv, f);
      g_ptr_array_add (argv, status);
    }

  if (argv->len > 5)
    redisAsyncCommandArgv (ac, NULL, NULL, argv->len, (const char **) argv->pdata, NULL);
}

static void
write_all (ConfabPresence *presence)
{
  GHashTableIter iter;
  gpointer site_id, agents;

  g_hash_table_iter_init (&iter, presence->local);
  while (g_hash_table_iter_next (&iter, &site_id, &agents))
    write_site (presence, site_id, agents, NULL);
}

static gboolean
heartbeat (gpointer data)
{
  write_all (data);
  return G_SOURCE_CONTINUE;
}

static void
on_link_restored (ConfabBus      *bus,
                  ConfabPresence *presence)
{
  /* Redis may have restarted empty: this relay's agents are written again at once */
  write_all (presence);
}

static void
confab_presence_dispose (GObject *object)
{
  ConfabPresence *presence = CONFAB_PRESENCE (object);

  /* no removal here: a relay that stops lets its entries expire, as one that dies does */
  g_clear_handle_id (&presence->heartbeat_id, g_source_remove);
  if (presence->bus != NULL)
    g_clear_signal_handler (&presence->restored_id, presence->bus);
  g_clear_object (&presence->bus);

  G_OBJECT_CLASS (confab_presence_parent_class)->dispose (object);
}

static void
confab_presence_finalize (GObject *object)
{
  ConfabPresence *presence = CONFAB_PRESENCE (object);

  g_hash_table_unref (presence->local);

  G_OBJECT_CLASS (confab_presence_parent_class)->finalize (object);
}

static void
confab_presence_class_init (ConfabPresenceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_presence_dispose;
  object_class->finalize = confab_presence_finalize;
}

static void
confab_presence_init (ConfabPresence *presence)
{
  presence->local = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_hash_table_unref);
}

ConfabPresence *
confab_presence_new (ConfabBus *bus,
                     guint      ttl_ms)
{
  ConfabPresence *presence;

  g_return_val_if_fail (CONFAB_IS_BUS (bus), NULL);

  presence = g_object_new (CONFAB_TYPE_PRESENCE, NULL);
  presence->bus = g_object_ref (bus);
  presence->set_sha = confab_bus_add_script (bus, set_script);
  presence->list_sha = confab_bus_add_script (bus, list_script);
  presence->ttl_ms = MAX (ttl_ms, 300);
  g_snprintf (presence->ttl_arg, sizeof presence->ttl_arg, "%u", presence->ttl_ms);
  presence->heartbeat_id = g_timeout_add (presence->ttl_ms / 3, heartbeat, presence);
  presence->restored_id = g_signal_connect (bus, "link-restored", G_CALLBACK (on_link_restored),
                                            presence);
  return presence;
}

void
confab_presence_set (ConfabPresence *presence,
                     const char     *site_id,
                     const char     *agent_id,
                     const char     *status)
{
  GHashTable *agents;

  g_return_if_fail (CONFAB_IS_PRESENCE (presence));
  g_return_if_fail (site_id != NULL && agent_id != NULL && status != NULL);

  agents = g_hash_table_lookup (presence->local, site_id);
  if (agents == NULL)
    {
      agents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (presence->local, g_strdup (site_id), agents);
    }
  g_hash_table_insert (agents, g_strdup (agent_id), g_strdup (status));
  write_site (presence, site_id, agents, agent_id);
}

void
confab_presence_remove (ConfabPresence *presence,
                        const char     *site_id,
                        const char     *agent_id)
{
  redisAsyncContext *ac;
  GHashTable *agents;

  g_return_if_fail (CONFAB_IS_PRESENCE (presence));
  g_return_if_fail (site_id != NULL && agent_id != NULL);

  agents = g_hash_table_lookup (presence->local, site_id);
  if (agents == NULL || !g_hash_table_remove (agents, agent_id))
    return;
  if (g_hash_table_size (agents) == 0)
    g_hash_table_remove (presence->local, site_id);

  /* with the link down the entry expires by itself */
  ac = confab_bus_get_command_context (presence->bus);
  if (ac != NULL)
    {
      g_autofree char *key = site_key (site_id);
      g_autofree char *f = field (presence, agent_id);
      const char *argv[] = { "HDEL", key, f };

      redisAsyncCommandArgv (ac, NULL, NULL, G_N_ELEMENTS (argv), argv, NULL);
    }
}

static void
on_listed (redisAsyncContext *ac,
           void              *r,
           void              *privdata)
{
  g_autoptr (GTask) task = privdata;
  ConfabPresence *presence = g_task_get_source_object (task);
  redisReply *reply = r;
  g_autoptr (GPtrArray) entries = NULL;

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    {
      if (presence->bus != NULL)
        confab_bus_check_script_reply (presence->bus, reply);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               "Redis did not answer the presence query: %s",
                               reply != NULL && reply->type == REDIS_REPLY_ERROR
                               ? reply->str : "link lost");
      return;
    }

  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_presence_entry_free);
  for (size_t i = 0; i + 1 < reply->elements; i += 2)
    {
      const char *f = reply->element[i]->str;
      const char *tab = f != NULL ? strchr (f, '\t') : NULL;
      ConfabPresenceEntry *entry;

      if (tab == NULL || reply->element[i + 1]->str == NULL)
        continue;
      entry = g_new0 (ConfabPresenceEntry, 1);
      entry->agent_id = g_strndup (f, tab - f);
      entry->node = g_strdup (tab + 1);
      entry->status = g_strdup (reply->element[i + 1]->str);
      g_ptr_array_add (entries, entry);
    }
  g_task_return_pointer (task, g_steal_pointer (&entries), (GDestroyNotify) g_ptr_array_unref);
}

void
confab_presence_list_async (ConfabPresence      *presence,
                            const char          *site_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *key = NULL;
  redisAsyncContext *ac;
  const char *argv[4];

  g_return_if_fail (CONFAB_IS_PRESENCE (presence));
  g_return_if_fail (site_id != NULL);

  task = g_task_new (presence, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_presence_list_async);

  ac = confab_bus_get_command_context (presence->bus);
  if (ac == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               "The Redis link is down: only this relay's agents are known");
      return;
    }

  key = site_key (site_id);
  argv[0] = "EVALSHA";
  argv[1] = presence->list_sha;
  argv[2] = "1";
  argv[3] = key;
  if (redisAsyncCommandArgv (ac, on_listed, g_object_ref (task), G_N_ELEMENTS (argv), argv, NULL)
      != REDIS_OK)
    {
      g_object_unref (task);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               "The Redis link is down: only this relay's agents are known");
    }
}

GPtrArray *
confab_presence_list_finish (ConfabPresence  *presence,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, presence), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == confab_presence_list_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
