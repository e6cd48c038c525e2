/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-avatar-row.c: see the header. The row holds its state on itself (an AdwActionRow with
 * data): it is small, and made once per settings window. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-window.h"
#include "confab-avatar-row.h"
#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-client-team.h"

/* the relay's upload limit for images */
#define MAX_AVATAR_BYTES (20 * 1024 * 1024)

typedef struct {
  ConfabClient *client;
  AdwAvatar    *avatar;
  GtkWidget    *remove;
  GCancellable *cancellable;
} AvatarRow;

static void
avatar_row_free (AvatarRow *row)
{
  g_cancellable_cancel (row->cancellable);
  g_clear_object (&row->cancellable);
  g_clear_object (&row->client);
  g_free (row);
}

static AvatarRow *
state_of (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), "confab-avatar-row");
}

static void
show_initials (AvatarRow *row)
{
  adw_avatar_set_text (row->avatar, confab_client_get_user_name (row->client));
}

static void
on_user_name (GtkWidget *widget)
{
  show_initials (state_of (widget));
}

static void
picture_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  AvatarRow *row = state_of (widget);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_client_download_finish (CONFAB_CLIENT (source), result, &error);
  g_autoptr (GdkTexture) texture = NULL;

  if (row == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (bytes != NULL)
    texture = gdk_texture_new_from_bytes (bytes, &error);
  if (texture == NULL)
    {
      /* initials, as when there is none */
      g_debug ("No avatar picture: %s", error->message);
      adw_avatar_set_custom_image (row->avatar, NULL);
      gtk_widget_set_sensitive (row->remove, FALSE);
      return;
    }
  adw_avatar_set_custom_image (row->avatar, GDK_PAINTABLE (texture));
  gtk_widget_set_sensitive (row->remove, TRUE);
}

/* The picture at @url (the relay's path) into the avatar; NULL: initials. */
static void
show_picture (GtkWidget  *widget,
              const char *url)
{
  AvatarRow *row = state_of (widget);
  g_autoptr (GUri) uri = NULL;
  const char *path = url;

  if (url == NULL)
    {
      adw_avatar_set_custom_image (row->avatar, NULL);
      gtk_widget_set_sensitive (row->remove, FALSE);
      return;
    }
  /* an absolute URL of the relay: its path (the download adds the relay and the token) */
  if ((uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL)) != NULL)
    path = g_uri_get_path (uri);
  if (path == NULL || path[0] != '/')
    return;
  confab_client_download_async (row->client, path, row->cancellable, picture_cb, g_object_ref (widget));
}

static const char *
avatar_url_of (JsonObject *object)
{
  JsonObject *user = object;
  JsonNode *url;

  if (json_object_has_member (object, "user") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "user")))
    user = json_object_get_object_member (object, "user");
  url = json_object_get_member (user, "avatar_url");
  return url != NULL && JSON_NODE_HOLDS_VALUE (url) ? json_node_get_string (url) : NULL;
}

static void
me_cb (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) me = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);

  if (me == NULL || state_of (widget) == NULL)
    return;
  show_picture (widget, avatar_url_of (me));
}

static void
uploaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_send_bytes_finish (CONFAB_CLIENT (source), result, &error);

  if (state_of (widget) == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (answer == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Your picture was not changed: %s"), error->message);

      confab_admin_window_toast (widget, text);
      return;
    }
  show_picture (widget, avatar_url_of (answer));
  confab_admin_window_toast (widget, _("Picture changed"));
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  AvatarRow *row = state_of (widget);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);
  g_autofree char *type = NULL;
  g_autofree char *mime = NULL;

  if (row == NULL)
    return;
  if (bytes == NULL)
    {
      confab_admin_window_toast (widget, error->message);
      return;
    }
  if (g_bytes_get_size (bytes) > MAX_AVATAR_BYTES)
    {
      confab_admin_window_toast (widget, _("This image is too large"));
      return;
    }
  type = g_content_type_guess (NULL, g_bytes_get_data (bytes, NULL),
                               MIN (g_bytes_get_size (bytes), 4096), NULL);
  mime = g_content_type_get_mime_type (type);
  if (mime == NULL || !g_str_has_prefix (mime, "image/"))
    {
      confab_admin_window_toast (widget, _("Choose an image (PNG, JPEG, WebP or GIF)"));
      return;
    }
  confab_client_send_bytes_async (row->client, "PUT", "/api/v1/me/avatar", bytes, mime,
                                  row->cancellable, uploaded_cb, g_object_ref (widget));
}

void
confab_avatar_row_set_file (GtkWidget *widget,
                            GFile     *file)
{
  g_file_load_bytes_async (file, NULL, loaded_cb, g_object_ref (widget));
}

static void
chooser_cb (GtkNativeDialog *chooser,
            int              response,
            GtkWidget       *widget)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        confab_avatar_row_set_file (widget, file);
    }
  g_object_unref (chooser);
  g_object_unref (widget);
}

static void
on_choose (GtkWidget *widget)
{
  GtkFileChooserNative *chooser;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Choose a Picture"), GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), NULL);
  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_mime_type (filter, "image/*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_cb), g_object_ref (widget));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_json_finish (CONFAB_CLIENT (source), result, &error);

  if (state_of (widget) == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (answer == NULL)
    confab_admin_window_toast (widget, error->message);
  else
    show_picture (widget, NULL);
}

static void
on_remove (GtkWidget *widget)
{
  AvatarRow *row = state_of (widget);

  confab_client_request_json_async (row->client, "DELETE", "/api/v1/me/avatar", NULL, row->cancellable,
                                    removed_cb, g_object_ref (widget));
}

GtkWidget *
confab_avatar_row_new (ConfabClient *client)
{
  GtkWidget *widget = adw_action_row_new ();
  GtkWidget *choose = gtk_button_new_with_mnemonic (_("C_hoose…"));
  AvatarRow *row = g_new0 (AvatarRow, 1);

  row->client = g_object_ref (client);
  row->cancellable = g_cancellable_new ();
  row->avatar = ADW_AVATAR (adw_avatar_new (48, NULL, TRUE));
  row->remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_object_set_data_full (G_OBJECT (widget), "confab-avatar-row", row, (GDestroyNotify) avatar_row_free);
  gtk_widget_set_name (widget, "account-avatar");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (widget), _("Picture"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (widget),
                               _("Shown to visitors and your team; your initials without one"));
  adw_action_row_add_prefix (ADW_ACTION_ROW (widget), GTK_WIDGET (row->avatar));
  gtk_widget_set_valign (choose, GTK_ALIGN_CENTER);
  gtk_widget_set_name (choose, "avatar-choose");
  g_signal_connect_swapped (choose, "clicked", G_CALLBACK (on_choose), widget);
  gtk_widget_set_valign (row->remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (row->remove, "flat");
  gtk_widget_set_name (row->remove, "avatar-remove");
  gtk_widget_set_tooltip_text (row->remove, _("Remove the Picture"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Remove the Picture"), -1);
  gtk_widget_set_sensitive (row->remove, FALSE);
  g_signal_connect_swapped (row->remove, "clicked", G_CALLBACK (on_remove), widget);
  adw_action_row_add_suffix (ADW_ACTION_ROW (widget), choose);
  adw_action_row_add_suffix (ADW_ACTION_ROW (widget), row->remove);
  show_initials (row);
  g_signal_connect_object (client, "notify::user-name", G_CALLBACK (on_user_name), widget,
                           G_CONNECT_SWAPPED);
  confab_client_get_json_async (client, "/api/v1/me", row->cancellable, me_cb, g_object_ref (widget));
  return widget;
}
