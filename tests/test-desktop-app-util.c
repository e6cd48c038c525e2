/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-app-util.c: see test-desktop-app-util.h */
#define G_LOG_DOMAIN "test-desktop-app"

#include <gst/gst.h>

#include "confab-client.h"
#include "confab-conversation-list.h"
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
