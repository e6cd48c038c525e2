/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-routing.c: ConfabClient, issue 18's teams and transfer (see the header). */
#define G_LOG_DOMAIN "confab-client"

#include <string.h>

#include "confab-client-admin.h"
#include "confab-client-private.h"
#include "confab-client-routing.h"
#include "confab-json.h"
#include "confab-routing.h"

#define MAX_TRANSFER_NOTE_CHARS 1000

static guint teams_changed_signal;

void
confab_client_ensure_routing_signals (void)
{
  GType type = CONFAB_TYPE_CLIENT;

  if (teams_changed_signal != 0)
    return;
  /* after the class is whole: a client that registers it itself keeps its own */
  g_type_class_unref (g_type_class_ref (type));
  teams_changed_signal = g_signal_lookup ("teams-changed", type);
  if (teams_changed_signal == 0)
    /* site_id, the teams as GET …/teams answers them */
    teams_changed_signal = g_signal_new ("teams-changed", type, G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL,
                                         G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_ARRAY);
}

static void
note_teams (ConfabClient *self,
            const char   *site_id,
            JsonArray    *teams)
{
  g_autoptr (GError) error = NULL;

  if (!confab_cache_set_teams (self->cache, site_id, teams, &error))
    g_warning ("Could not keep a site's teams: %s", error->message);
  confab_client_ensure_routing_signals ();
  g_signal_emit (self, teams_changed_signal, 0, site_id, teams);
}

gboolean
confab_client_routing_handle_frame (ConfabClient *self,
                                    const char   *type,
                                    JsonObject   *frame)
{
  const char *site_id = NULL;
  JsonNode *teams;

  if (strcmp (type, "teams") != 0)
    return FALSE;
  teams = json_object_get_member (frame, "teams");
  if (!confab_json_get_string (frame, "site_id", FALSE, &site_id, NULL) || site_id == NULL ||
      teams == NULL || !JSON_NODE_HOLDS_ARRAY (teams))
    {
      g_warning ("A teams frame without its site or list");
      return TRUE;
    }
  note_teams (self, site_id, json_node_get_array (teams));
  return TRUE;
}

typedef struct {
  char *site_id;
  char *code;
} FetchData;

static void
fetch_data_free (FetchData *data)
{
  g_free (data->site_id);
  g_free (data->code);
  g_free (data);
}

static void
teams_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  ConfabClient *self = CONFAB_CLIENT (source);
  g_autoptr (GTask) task = user_data;
  FetchData *data = g_task_get_task_data (task);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *teams;

  answer = confab_client_request_finish (self, result, &data->code, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  teams = json_object_get_member (answer, "teams");
  if (teams == NULL || !JSON_NODE_HOLDS_ARRAY (teams))
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY,
                               "The relay answered without its teams");
      return;
    }
  note_teams (self, data->site_id, json_node_get_array (teams));
  g_task_return_pointer (task, json_array_ref (json_node_get_array (teams)),
                         (GDestroyNotify) json_array_unref);
}

void
confab_client_fetch_teams_async (ConfabClient        *self,
                                 const char          *site_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  FetchData *data;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (site_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_fetch_teams_async);
  data = g_new0 (FetchData, 1);
  data->site_id = g_strdup (site_id);
  g_task_set_task_data (task, data, (GDestroyNotify) fetch_data_free);
  escaped = g_uri_escape_string (site_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/sites/%s/teams", escaped);
  confab_client_request_async (self, "GET", path, NULL, cancellable, teams_cb,
                               g_steal_pointer (&task));
}

JsonArray *
confab_client_fetch_teams_finish (ConfabClient  *self,
                                  GAsyncResult  *result,
                                  char         **code,
                                  GError       **error)
{
  FetchData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  if (code != NULL)
    *code = g_strdup (data->code);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
confab_client_transfer (ConfabClient  *self,
                        const char    *conversation_id,
                        const char    *to_agent_id,
                        const char    *to_team_id,
                        const char    *note,
                        GError       **error)
{
  g_autoptr (JsonObject) frame = NULL;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (conversation_id != NULL, FALSE);

  if ((to_agent_id == NULL) == (to_team_id == NULL))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "A transfer goes to a team or to an agent");
      return FALSE;
    }
  if (note != NULL && confab_utf8_length (note) > MAX_TRANSFER_NOTE_CHARS)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID,
                   "A transfer note is at most %d characters long", MAX_TRANSFER_NOTE_CHARS);
      return FALSE;
    }
  frame = json_object_new ();
  json_object_set_string_member (frame, "type", "transfer");
  json_object_set_string_member (frame, "conversation_id", conversation_id);
  if (to_agent_id != NULL)
    json_object_set_string_member (frame, "to_agent_id", to_agent_id);
  else
    json_object_set_string_member (frame, "to_team_id", to_team_id);
  if (note != NULL && *note != '\0')
    json_object_set_string_member (frame, "note", note);
  if (self->state != CONFAB_CLIENT_ONLINE || !confab_client_send_frame (self, frame))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE,
                   "Not connected to the relay");
      return FALSE;
    }
  return TRUE;
}
