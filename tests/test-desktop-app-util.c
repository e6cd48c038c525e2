/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-app-util.c: see test-desktop-app-util.h */
#define G_LOG_DOMAIN "test-desktop-app"

#include <gdk/x11/gdkx.h>
#include <gst/gst.h>

#include "confab-client.h"
#include "confab-conversation-list.h"
#include "confab-conversation-row.h"
#include "confab-image-viewer.h"
#include "confab-secrets.h"
#include "confab-settings.h"
#include "test-desktop-app-util.h"

ConfabClient *
client_of (App *app)
{
  ConfabAccount *account = confab_window_get_account (app->window);

  return account != NULL ? confab_account_get_client (account) : NULL;
}

gboolean
sign_in_shown (gpointer data)
{
  Named named = { GTK_WIDGET (((App *) data)->window), "sign-in-button" };

  return named_visible (&named);
}

gboolean
is_online (gpointer data)
{
  ConfabClient *client = client_of (data);

  return client != NULL && confab_client_get_state (client) == CONFAB_CLIENT_ONLINE &&
         !sign_in_shown (data);
}

gboolean
is_offline (gpointer data)
{
  ConfabClient *client = client_of (data);

  return client != NULL && confab_client_get_state (client) == CONFAB_CLIENT_OFFLINE;
}

/* The app with its data under the relay's scratch dir; sounds off unless @sounds. */
void
app_start (App       *app,
           TestRelay *relay,
           gboolean   sounds)
{
  static gboolean adw_ready;
  g_autofree char *data_home = g_build_filename (test_relay_tmp_dir (relay), "xdg-data", NULL);

  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("CONFAB_RELAY_URL", test_relay_base_url (relay), TRUE);
  if (sounds)
    g_unsetenv ("CONFAB_NO_SOUND");
  else
    g_setenv ("CONFAB_NO_SOUND", "1", TRUE);
  if (!adw_ready)
    adw_init ();
  adw_ready = TRUE;
  app->app = confab_application_new ("chat.confab.Confab.Test", G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app->app), NULL, NULL));
  g_object_set (confab_application_get_settings (app->app), "window-width", 1360,
                "window-height", 820, "notifications", FALSE, NULL);
}

void
app_activate (App *app)
{
  g_application_activate (G_APPLICATION (app->app));
  wait_until ("the window", window_exists, app->app);
  app->window = confab_application_get_window (app->app);
  main_window = GTK_WIDGET (app->window);
}

/* Fills the sign-in form (the relay address of @relay) and waits for the live inbox. */
void
sign_in (App        *app,
         TestRelay  *relay,
         const char *email,
         const char *password)
{
  GtkWidget *root = GTK_WIDGET (app->window);

  wait_until ("the sign-in page", sign_in_shown, app);
  gtk_editable_set_text (GTK_EDITABLE (find_named (root, "relay-entry")), test_relay_base_url (relay));
  gtk_editable_set_text (GTK_EDITABLE (find_named (root, "email-entry")), email);
  gtk_editable_set_text (GTK_EDITABLE (find_named (root, "password-entry")), password);
  g_signal_emit_by_name (find_named (root, "sign-in-button"), "clicked");
  wait_until ("the inbox, online", is_online, app);
}

void
app_stop (App *app)
{
  main_window = NULL;
  if (app->window != NULL)
    gtk_window_destroy (GTK_WINDOW (app->window));
  g_application_quit (G_APPLICATION (app->app));
  settle (100);
  g_clear_object (&app->app);
  app->window = NULL;
}

guint
n_conversations (App *app)
{
  GtkWidget *view = find_named (GTK_WIDGET (app->window), "conversation-list");

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (view))));
}

char *
conversation_id_at (App  *app,
                    guint position)
{
  GtkWidget *view = find_named (GTK_WIDGET (app->window), "conversation-list");
  g_autoptr (ConfabConversation) c =
    g_list_model_get_item (G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (view))), position);

  g_assert_nonnull (c);
  return g_strdup (confab_conversation_get_id (c));
}


gboolean
conversation_open (gpointer data)
{
  AppText *at = data;

  return g_strcmp0 (confab_window_get_conversation_id (at->app->window), at->text) == 0;
}

gboolean
title_is (gpointer data)
{
  AppText *at = data;

  return g_strcmp0 (gtk_window_get_title (GTK_WINDOW (at->app->window)), at->text) == 0;
}

gboolean
has_n_conversations (gpointer data)
{
  AppText *at = data;

  return n_conversations (at->app) == (guint) atoi (at->text);
}

/* The focus is @name or inside it. */
gboolean
focus_in (gpointer data)
{
  AppText *at = data;
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (at->app->window));
  GtkWidget *target = find_named (GTK_WIDGET (at->app->window), at->text);

  return focus != NULL && target != NULL && (focus == target || gtk_widget_is_ancestor (focus, target));
}

gboolean
is_active (gpointer data)
{
  return gtk_window_is_active (data);
}

gboolean
is_not_active (gpointer data)
{
  return !gtk_window_is_active (data);
}

/* Presses @keyval + @mods as the window's own shortcut: the binding with that trigger runs
 * its action on the window. Fails when no binding has that key. */
void
press (App             *app,
       guint            keyval,
       GdkModifierType  mods)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (app->window));
  g_autoptr (GtkShortcutTrigger) wanted = gtk_keyval_trigger_new (keyval, mods);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr (GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);

          if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), wanted))
            {
              g_assert_true (gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0,
                                                           GTK_WIDGET (app->window),
                                                           gtk_shortcut_get_arguments (shortcut)));
              settle (50);
              return;
            }
        }
    }
  g_error ("no shortcut for %s", gtk_accelerator_name (keyval, mods));
}

GtkWidget *
find_type (GtkWidget *root,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_type (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkDropTarget *
drop_target_of (GtkWidget *widget)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        return GTK_DROP_TARGET (controller);
    }
  return NULL;
}


gboolean
drop_files (GtkDropTarget *target,
            GFile         *file)
{
  GSList files = { file, NULL };
  g_auto (GValue) value = G_VALUE_INIT;
  gboolean accepted = FALSE;

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (&files));
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  return accepted;
}


/* The visitor gets an agent message with an image. */
void
expect_agent_image (TestWs *visitor)
{
  g_autoptr (JsonObject) frame = test_ws_wait_for_match (visitor, "message", "sender.type", "agent",
                                                         TEST_TIMEOUT_MS);
  JsonObject *attachment = json_object_get_object_member (frame, "attachment");

  g_assert_nonnull (attachment);
  g_assert_nonnull (json_object_get_string_member_with_default (attachment, "id", NULL));
}

/* ------------------------------------------------------- real X input --- */

static void
xdotool (const char *first,
         ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;
  va_list args;

  g_ptr_array_add (argv, g_strdup ("xdotool"));
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, &error))
    g_error ("xdotool: %s (scripts/install-deps desktop installs it)", error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("xdotool %s: %s %s", first, error->message, err);
  /* the events are in the X server now: let the app read them */
  settle (30);
}

static char *
xid_of (GtkWidget *widget)
{
  GdkSurface *surface = gtk_native_get_surface (gtk_widget_get_native (widget));

  g_assert_true (GDK_IS_X11_SURFACE (surface));
  return g_strdup_printf ("%lu", (gulong) gdk_x11_surface_get_xid (surface));
}

/* @x, @y of @widget in its window's X coordinates. */
static void
x_point (GtkWidget *widget,
         double     x,
         double     y,
         char     **out_x,
         char     **out_y)
{
  GtkNative *native = gtk_widget_get_native (widget);
  graphene_point_t point;
  double sx = 0, sy = 0;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &GRAPHENE_POINT_INIT (x, y),
                                           &point));
  gtk_native_get_surface_transform (native, &sx, &sy);
  /* a point left or above the window: @widget is scrolled out of view or not laid out yet */
  if (point.x + sx < 0 || point.y + sy < 0)
    g_error ("%s (%s) is outside its window at %.0f,%.0f: scroll it into view first",
             gtk_widget_get_name (widget), G_OBJECT_TYPE_NAME (widget), point.x + sx, point.y + sy);
  *out_x = g_strdup_printf ("%d", (int) (point.x + sx));
  *out_y = g_strdup_printf ("%d", (int) (point.y + sy));
}

void
x_move (GtkWidget *widget,
        double     x,
        double     y)
{
  g_autofree char *xid = xid_of (widget);
  g_autofree char *px = NULL;
  g_autofree char *py = NULL;

  x_point (widget, x, y, &px, &py);
  xdotool ("mousemove", "--window", xid, px, py, NULL);
}

void
x_click (GtkWidget *widget,
         double     x,
         double     y)
{
  x_move (widget, x, y);
  xdotool ("click", "1", NULL);
  /* keys sent at once after a click under Xvfb can be lost before they reach the app (seen:
   * the first key after a click that opens a conversation); let the click be handled first */
  settle (300);
}

/* Mouse wheel over @widget's middle: @clicks up (< 0) or down. */
void
x_scroll (GtkWidget *widget,
          int        clicks)
{
  g_autofree char *repeat = g_strdup_printf ("%d", ABS (clicks));

  x_move (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
  xdotool ("click", "--repeat", repeat, "--delay", "30", clicks < 0 ? "4" : "5", NULL);
}

void
x_focus (GtkWindow *window)
{
  g_autofree char *xid = xid_of (GTK_WIDGET (window));

  xdotool ("windowfocus", "--sync", xid, NULL);
  wait_until ("the window focused", is_active, window);
}

void
x_key (const char *keys)
{
  xdotool ("key", "--delay", "40", keys, NULL);
}

void
x_type_text (const char *text)
{
  xdotool ("type", "--delay", "20", "--", text, NULL);
}

void
x_resize (GtkWindow *window,
          int        width,
          int        height)
{
  g_autofree char *xid = xid_of (GTK_WIDGET (window));
  g_autofree char *w = g_strdup_printf ("%d", width);
  g_autofree char *h = g_strdup_printf ("%d", height);

  xdotool ("windowsize", xid, w, h, NULL);
}

void
x_move_window (GtkWindow *window,
               int        x,
               int        y)
{
  g_autofree char *xid = xid_of (GTK_WIDGET (window));
  g_autofree char *px = g_strdup_printf ("%d", x);
  g_autofree char *py = g_strdup_printf ("%d", y);

  xdotool ("windowmove", xid, px, py, NULL);
}

static GtkWidget *
find_row (GtkWidget  *root,
          const char *conversation_id)
{
  if (CONFAB_IS_CONVERSATION_ROW (root))
    return g_strcmp0 (confab_conversation_row_get_conversation_id (CONFAB_CONVERSATION_ROW (root)),
                      conversation_id) == 0 && gtk_widget_get_mapped (root) ? root : NULL;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row (child, conversation_id);

      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
conversation_row (App        *app,
                  const char *conversation_id)
{
  return find_row (find_named (GTK_WIDGET (app->window), "conversation-list"), conversation_id);
}

gint64
relay_unread (TestRelay  *relay,
              const char *token,
              const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
  g_autoptr (TestResponse) response = test_http (relay, "GET", path, token, NULL, NULL);
  JsonObject *object;

  test_assert_http_status (response, 200);
  object = test_response_object (response);
  if (json_object_has_member (object, "conversation"))
    object = json_object_get_object_member (object, "conversation");
  return json_object_get_int_member (object, "unread");
}

/* ------------------------------------------------- notification server --- */

static const char notifications_xml[] =
  "<node><interface name='org.gtk.Notifications'>"
  "<method name='AddNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='a{sv}' direction='in'/></method>"
  "<method name='RemoveNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/></method>"
  "</interface></node>";

static void
on_notifications_call (GDBusConnection       *connection,
                       const char            *sender,
                       const char            *path,
                       const char            *interface,
                       const char            *method,
                       GVariant              *parameters,
                       GDBusMethodInvocation *invocation,
                       gpointer               user_data)
{
  NotificationServer *alerts = user_data;

  if (g_str_equal (method, "AddNotification"))
    g_ptr_array_add (alerts->added, g_variant_ref (parameters));
  else
    {
      const char *id = NULL;

      g_variant_get (parameters, "(&s&s)", NULL, &id);
      g_ptr_array_add (alerts->removed, g_strdup (id));
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  ((NotificationServer *) user_data)->owned = TRUE;
}

static gboolean
name_owned (gpointer data)
{
  return ((NotificationServer *) data)->owned;
}

void
notification_server_start (NotificationServer *server)
{
  static const GDBusInterfaceVTable vtable = { on_notifications_call, NULL, NULL, { 0 } };
  g_autoptr (GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, NULL);

  server->added = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  server->removed = g_ptr_array_new_with_free_func (g_free);
  server->owned = FALSE;
  server->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_assert_nonnull (server->bus);
  server->object = g_dbus_connection_register_object (server->bus, "/org/gtk/Notifications",
                                                      info->interfaces[0], &vtable, server,
                                                      NULL, NULL);
  g_assert_cmpuint (server->object, >, 0);
  server->owner = g_bus_own_name_on_connection (server->bus, "org.gtk.Notifications",
                                                G_BUS_NAME_OWNER_FLAGS_NONE, on_name_acquired,
                                                NULL, server, NULL);
  wait_until ("the notification server", name_owned, server);
}

void
notification_server_stop (NotificationServer *server)
{
  g_bus_unown_name (server->owner);
  g_dbus_connection_unregister_object (server->bus, server->object);
  g_clear_object (&server->bus);
  g_clear_pointer (&server->added, g_ptr_array_unref);
  g_clear_pointer (&server->removed, g_ptr_array_unref);
}
