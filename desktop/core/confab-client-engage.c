/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-engage.c: the triggers frame (see the header). */
#define G_LOG_DOMAIN "confab-client"

#include <string.h>

#include "confab-client-engage.h"
#include "confab-client-private.h"
#include "confab-json.h"

static guint triggers_changed_signal;

void
confab_client_ensure_engage_signals (void)
{
  GType type = CONFAB_TYPE_CLIENT;

  g_type_class_unref (g_type_class_ref (type));
  if (triggers_changed_signal == 0 &&
      (triggers_changed_signal = g_signal_lookup ("triggers-changed", type)) == 0)
    triggers_changed_signal = g_signal_new ("triggers-changed", type, G_SIGNAL_RUN_LAST, 0,
                                            NULL, NULL, NULL, G_TYPE_NONE, 2,
                                            G_TYPE_STRING, JSON_TYPE_ARRAY);
}

gboolean
confab_client_engage_handle_frame (ConfabClient *self,
                                   const char   *type,
                                   JsonObject   *frame)
{
  const char *site_id = NULL;
  JsonNode *list;

  if (strcmp (type, "triggers") != 0)
    return FALSE;
  list = json_object_get_member (frame, "triggers");
  if (!confab_json_get_string (frame, "site_id", FALSE, &site_id, NULL) || site_id == NULL ||
      list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_warning ("A triggers frame without its site or list");
      return TRUE;
    }
  confab_client_ensure_engage_signals ();
  g_signal_emit (self, triggers_changed_signal, 0, site_id, json_node_get_array (list));
  return TRUE;
}
