/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-admin-list.c: a settings page's list of relay objects (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-list.h"
#include "confab-admin-util.h"
#include "confab-client-http.h"

void
confab_admin_list_init (ConfabAdminList *list)
{
  list->rows = g_ptr_array_new ();
  list->items = NULL;
}

void
confab_admin_list_clear (ConfabAdminList *list)
{
  if (list->rows != NULL && list->group != NULL)
    confab_admin_group_clear (list->group, list->rows);
  g_clear_pointer (&list->items, json_array_unref);
}

void
confab_admin_list_show (ConfabAdminList *list,
                        JsonArray       *items)
{
  if (items != list->items)
    {
      json_array_ref (items);
      g_clear_pointer (&list->items, json_array_unref);
      list->items = items;
    }
  confab_admin_group_clear (list->group, list->rows);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);

      if (JSON_NODE_HOLDS_OBJECT (node) && confab_admin_string (json_node_get_object (node), "id"))
        confab_admin_group_add (list->group, list->rows,
                                list->make_row (list->page, json_node_get_object (node)));
    }
  adw_preferences_group_set_description (list->group,
                                         list->rows->len == 0 || list->filled_text == NULL
                                         ? (list->rows->len == 0 ? list->empty_text : NULL)
                                         : list->filled_text);
}

typedef struct {
  ConfabAdminList *list;
  GCancellable    *cancellable;
} Load;

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Load *load = user_data;
  ConfabAdminList *list = load->list;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *node;

  /* a cancelled load's page may be gone: touch nothing */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      (load->cancellable != NULL && g_cancellable_is_cancelled (load->cancellable)))
    goto out;
  node = answer != NULL ? json_object_get_member (answer, list->member) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      /* Translators: why a list could not be loaded, and the relay's reason */
      g_autofree char *text = g_strdup_printf (_("%s: %s"), list->failed_text,
                                               error != NULL ? error->message : _("no list"));

      adw_preferences_group_set_description (list->group, text);
      goto out;
    }
  confab_admin_list_show (list, json_node_get_array (node));

out:
  g_clear_object (&load->cancellable);
  g_free (load);
}

void
confab_admin_list_load (ConfabAdminList *list,
                        ConfabClient    *client,
                        const char      *path,
                        GCancellable    *cancellable)
{
  Load *load = g_new0 (Load, 1);

  load->list = list;
  load->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  confab_client_get_json_async (client, path, cancellable, loaded_cb, load);
}

JsonObject *
confab_admin_list_find (ConfabAdminList *list,
                        const char      *id)
{
  for (guint i = 0; list->items != NULL && i < json_array_get_length (list->items); i++)
    {
      JsonNode *node = json_array_get_element (list->items, i);

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          g_strcmp0 (confab_admin_string (json_node_get_object (node), "id"), id) == 0)
        return json_node_get_object (node);
    }
  return NULL;
}
