/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-email-notify-row.c: see the header. The row keeps its state on itself (an
 * AdwActionRow with data), as confab-avatar-row.c does. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-client-admin.h"
#include "confab-client-http.h"
#include "confab-email-notify-row.h"

typedef struct {
  ConfabClient *client;
  GtkSwitch    *toggle;
  GCancellable *cancellable;
  gboolean      setting;   /* the switch moved by the relay's answer, not by the user */
} NotifyRow;

static void
notify_row_free (NotifyRow *row)
{
  g_cancellable_cancel (row->cancellable);
  g_clear_object (&row->cancellable);
  g_clear_object (&row->client);
  g_free (row);
}

static NotifyRow *
state_of (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), "confab-email-notify-row");
}

/* The user object's email_notifications into the switch; the row hides without it. */
static void
show_user (GtkWidget  *widget,
           JsonObject *object)
{
  NotifyRow *row = state_of (widget);
  JsonObject *user = confab_admin_object (object, "user") != NULL ? confab_admin_object (object, "user")
                                                                  : object;
  JsonNode *node = user != NULL ? json_object_get_member (user, "email_notifications") : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      gtk_widget_set_visible (widget, FALSE);
      return;
    }
  row->setting = TRUE;
  gtk_switch_set_active (row->toggle, json_node_get_boolean (node));
  row->setting = FALSE;
  gtk_widget_set_visible (widget, TRUE);
}

static void
me_cb (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) me = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);

  if (state_of (widget) == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (me != NULL)
    show_user (widget, me);
}

static void
patched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  NotifyRow *row = state_of (widget);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) user = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (row == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (user != NULL)
    {
      show_user (widget, user);
      return;
    }
  /* as it was: the relay did not take it */
  confab_admin_toast (widget, error->message);
  row->setting = TRUE;
  gtk_switch_set_active (row->toggle, !gtk_switch_get_active (row->toggle));
  row->setting = FALSE;
}

static void
on_active (GtkSwitch  *toggle,
           GParamSpec *pspec,
           GtkWidget  *widget)
{
  NotifyRow *row = state_of (widget);
  g_autoptr (JsonObject) body = NULL;

  if (row == NULL || row->setting)
    return;
  body = json_object_new ();
  json_object_set_boolean_member (body, "email_notifications", gtk_switch_get_active (toggle));
  confab_client_request_async (row->client, "PATCH", "/api/v1/me", body, row->cancellable,
                               patched_cb, g_object_ref (widget));
}

GtkWidget *
confab_email_notify_row_new (ConfabClient *client)
{
  GtkWidget *widget = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();
  NotifyRow *row = g_new0 (NotifyRow, 1);

  row->client = g_object_ref (client);
  row->toggle = GTK_SWITCH (toggle);
  row->cancellable = g_cancellable_new ();
  g_object_set_data_full (G_OBJECT (widget), "confab-email-notify-row", row,
                          (GDestroyNotify) notify_row_free);
  gtk_widget_set_name (widget, "email-notifications");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (widget), _("E-mail Notifications"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (widget),
                               _("Missed chats and new offline messages of your sites, by mail"));
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  gtk_widget_set_name (toggle, "email-notifications-switch");
  adw_action_row_add_suffix (ADW_ACTION_ROW (widget), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (widget), toggle);
  g_signal_connect_object (toggle, "notify::active", G_CALLBACK (on_active), widget, 0);
  /* hidden until the relay says the user has the choice */
  gtk_widget_set_visible (widget, FALSE);
  confab_client_get_json_async (client, "/api/v1/me", row->cancellable, me_cb, g_object_ref (widget));
  return widget;
}
