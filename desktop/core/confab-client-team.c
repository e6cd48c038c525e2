/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-team.c: downloads, the pushed admin lists, presence (see the header). */
#define G_LOG_DOMAIN "confab-client"

#include "confab-client-team.h"
#include "confab-client-private.h"
#include "confab-json.h"

#include <string.h>

/* An export holds every message of a visitor: far larger than any list. */
#define MAX_DOWNLOAD_BYTES (64 * 1024 * 1024)

enum {
  SIGNAL_CANNED_CHANGED,
  SIGNAL_FAQS_CHANGED,
  SIGNAL_MEMBERS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];
static const char *signal_names[N_SIGNALS] = { "canned-changed", "faqs-changed", "members-changed" };


/* agent id → status; kept on the client so that confab-client.c needs no field for it */
static GHashTable *
presence_table (ConfabClient *self)
{
  GQuark quark = g_quark_from_static_string ("confab-client-presence");
  GHashTable *table = g_object_get_qdata (G_OBJECT (self), quark);

  if (table == NULL)
    {
      table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_object_set_qdata_full (G_OBJECT (self), quark, table, (GDestroyNotify) g_hash_table_unref);
    }
  return table;
}

/* ----------------------------------------------------------- download --- */

static void
download_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  if (body == NULL || !confab_client_check_status (msg, body, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (g_bytes_get_size (body) > MAX_DOWNLOAD_BYTES)
    g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                             "The answer is larger than expected");
  else
    g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
}

void
confab_client_download_async (ConfabClient        *self,
                              const char          *path,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  SoupMessage *msg;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (path != NULL && path[0] == '/');

  g_task_set_source_tag (task, confab_client_download_async);
  msg = confab_client_authorized_message (self, SOUP_METHOD_GET, path, &error);
  if (msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_set_task_data (task, msg, g_object_unref);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    download_cb, g_object_ref (task));
}

GBytes *
confab_client_download_finish (ConfabClient  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------ pushed --- */

gboolean
confab_client_team_handle_frame (ConfabClient *self,
                                 const char   *type,
                                 JsonObject   *frame)
{
  const char *site_id = NULL;
  JsonNode *list;
  guint signal;

  if (strcmp (type, "synced") == 0)
    {
      /* the relay sends the presence of everyone online right after it: start afresh */
      g_hash_table_remove_all (presence_table (self));
      return FALSE;
    }
  if (strcmp (type, "presence") == 0)
    {
      const char *agent_id = NULL, *status = NULL;

      if (confab_json_get_string (frame, "agent_id", FALSE, &agent_id, NULL) && agent_id &&
          confab_json_get_string (frame, "status", FALSE, &status, NULL) && status)
        g_hash_table_replace (presence_table (self), g_strdup (agent_id), g_strdup (status));
      return FALSE; /* confab-client.c announces it */
    }

  if (strcmp (type, "canned") == 0)
    signal = SIGNAL_CANNED_CHANGED;
  else if (strcmp (type, "faqs") == 0)
    signal = SIGNAL_FAQS_CHANGED;
  else if (strcmp (type, "members") == 0)
    signal = SIGNAL_MEMBERS_CHANGED;
  else
    return FALSE;

  list = json_object_get_member (frame, type);
  /* a list too long for the socket comes as null: changed, read it over REST */
  if (!confab_json_get_string (frame, "site_id", FALSE, &site_id, NULL) || site_id == NULL ||
      list == NULL || (!JSON_NODE_HOLDS_ARRAY (list) && !JSON_NODE_HOLDS_NULL (list)))
    {
      g_warning ("A %s frame without its site or list", type);
      return TRUE;
    }
  confab_client_ensure_list_signals ();
  g_signal_emit (self, signals[signal], 0, site_id,
                 JSON_NODE_HOLDS_ARRAY (list) ? json_node_get_array (list) : NULL);
  return TRUE;
}

const char *
confab_client_get_agent_presence (ConfabClient *self,
                                  const char   *agent_id)
{
  const char *status;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (agent_id != NULL, NULL);

  if (g_strcmp0 (agent_id, self->user_id) == 0)
    return self->state == CONFAB_CLIENT_ONLINE ? self->presence : "offline";
  status = g_hash_table_lookup (presence_table (self), agent_id);
  return status != NULL ? status : "offline";
}

char *
confab_client_dup_site_role (ConfabClient *self,
                             const char   *site_id)
{
  g_autoptr (GListModel) sites = NULL;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (site_id != NULL, NULL);

  sites = confab_cache_list_sites (self->cache);
  for (guint i = 0; i < g_list_model_get_n_items (sites); i++)
    {
      g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);

      if (g_strcmp0 (confab_site_get_id (site), site_id) == 0)
        return g_strdup (confab_site_get_role (site));
    }
  return NULL;
}

void
confab_client_ensure_list_signals (void)
{
  GType type = CONFAB_TYPE_CLIENT;

  /* after the class is whole: a client that registers them itself keeps its own */
  g_type_class_unref (g_type_class_ref (type));
  /* site_id, the whole list as the matching GET answers it: live only */
  for (guint i = 0; i < N_SIGNALS; i++)
    if (signals[i] == 0 && (signals[i] = g_signal_lookup (signal_names[i], type)) == 0)
      signals[i] = g_signal_new (signal_names[i], type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_ARRAY);
}
