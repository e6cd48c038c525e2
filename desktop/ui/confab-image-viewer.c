/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-image-viewer.c: fetches the full image (GET /api/v1/uploads/{id}) and shows it. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-client-http.h"
#include "confab-image-viewer.h"

struct _ConfabImageViewer
{
  AdwWindow      parent_instance;

  GtkStack      *stack;
  GtkPicture    *picture;
  AdwStatusPage *error_page;

  GBytes        *bytes;
  GCancellable  *cancellable;
};

G_DEFINE_FINAL_TYPE (ConfabImageViewer, confab_image_viewer, ADW_TYPE_WINDOW)

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_client_fetch_upload_finish (CONFAB_CLIENT (source), result, &error);
  g_autoptr (GdkTexture) texture = NULL;
  ConfabImageViewer *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = CONFAB_IMAGE_VIEWER (user_data);
  if (bytes != NULL)
    texture = gdk_texture_new_from_bytes (bytes, &error);
  if (texture == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  self->bytes = g_steal_pointer (&bytes);
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  gtk_stack_set_visible_child_name (self->stack, "image");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "viewer.save", TRUE);
}

/* What "Save As…" does with the chosen file; the tests call it directly, since the file
 * chooser would wait for a person. */
gboolean
confab_image_viewer_save_to (ConfabImageViewer  *self,
                             GFile              *file,
                             GError            **error)
{
  g_return_val_if_fail (CONFAB_IS_IMAGE_VIEWER (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  if (self->bytes == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PENDING, _("The image is not loaded yet"));
      return FALSE;
    }
  return g_file_replace_contents (file, g_bytes_get_data (self->bytes, NULL),
                                  g_bytes_get_size (self->bytes), NULL, FALSE,
                                  G_FILE_CREATE_NONE, NULL, NULL, error);
}

static void
save_response_cb (GtkNativeDialog   *chooser,
                  int                response,
                  ConfabImageViewer *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autoptr (GError) error = NULL;

      if (file != NULL && !confab_image_viewer_save_to (self, file, &error))
        g_warning ("Could not save the image: %s", error->message);
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
save_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Save Image"), GTK_WINDOW (widget),
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), NULL);

  /* the relay re-encodes every image it keeps */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "image.png");
  /* the chooser may answer after the viewer is closed */
  g_signal_connect (chooser, "response", G_CALLBACK (save_response_cb), g_object_ref (widget));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
confab_image_viewer_dispose (GObject *object)
{
  ConfabImageViewer *self = CONFAB_IMAGE_VIEWER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_IMAGE_VIEWER);
  G_OBJECT_CLASS (confab_image_viewer_parent_class)->dispose (object);
}

static void
confab_image_viewer_class_init (ConfabImageViewerClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_image_viewer_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/chat/confab/Confab/confab-image-viewer.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabImageViewer, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabImageViewer, picture);
  gtk_widget_class_bind_template_child (widget_class, ConfabImageViewer, error_page);
  gtk_widget_class_install_action (widget_class, "viewer.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "viewer.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_image_viewer_init (ConfabImageViewer *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "viewer.save", FALSE);
}

GtkWidget *
confab_image_viewer_new (GtkWindow     *parent,
                         ConfabAccount *account,
                         const char    *upload_id)
{
  ConfabImageViewer *self = g_object_new (CONFAB_TYPE_IMAGE_VIEWER,
                                          "transient-for", parent,
                                          "modal", TRUE,
                                          NULL);

  confab_client_fetch_upload_async (confab_account_get_client (account), upload_id, FALSE,
                                    self->cancellable, fetched_cb, self);
  return GTK_WIDGET (self);
}
