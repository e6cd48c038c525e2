/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat-view-files.c: files that are no images. Sent from the composer (the attach
 * button, a drop) as uploads with their name; shown as cards (confab-message-row.c) whose
 * "Save as…" (chat.save-file) downloads them through the file chooser (the portal in a
 * sandbox). Never opened inline: the relay serves them as attachments only. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-chat-view-private.h"
#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-client-team.h"

/* As the relay's upload limit: more is refused there anyway, after the wait. */
#define MAX_FILE_BYTES (20 * 1024 * 1024)

/* ------------------------------------------------------------- sending --- */

/* Through the outbox, as text is: queued on disk at once (online or not), uploaded and sent in
 * its turn; the card shows "waiting" meanwhile and can be cancelled. */
void
confab_chat_view_send_file_bytes (ConfabChatView *self,
                                  GBytes         *bytes,
                                  const char     *mime,
                                  GFile          *file)
{
  ConfabClient *client = confab_chat_view_client (self);
  g_autofree char *name = file != NULL ? g_file_get_basename (file) : NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (GError) error = NULL;

  if (self->conversation_id == NULL || client == NULL)
    return;
  if (g_bytes_get_size (bytes) > MAX_FILE_BYTES)
    {
      confab_chat_view_toast (self, _("This file is too large to send"));
      return;
    }
  message = confab_client_send_file (client, self->conversation_id, bytes, name,
                                     mime != NULL ? mime : "application/octet-stream", &error);
  if (message == NULL)
    confab_chat_view_report (self, error);
}

/* ------------------------------------------------------------- saving --- */

typedef struct {
  ConfabChatView *self;
  GFile          *target;
} Save;

static void
save_free (Save *save)
{
  g_object_unref (save->self);
  g_clear_object (&save->target);
  g_free (save);
}

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Save *save = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    confab_chat_view_toast (save->self, error->message);
  else
    {
      g_autofree char *name = g_file_get_basename (save->target);
      /* Translators: %s is a file name */
      g_autofree char *text = g_strdup_printf (_("Saved “%s”"), name);

      confab_chat_view_toast (save->self, text);
    }
  save_free (save);
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Save *save = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_client_download_finish (CONFAB_CLIENT (source), result, &error);

  if (bytes == NULL)
    {
      confab_chat_view_toast (save->self, error->message);
      save_free (save);
      return;
    }
  g_file_replace_contents_bytes_async (save->target, bytes, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                                       written_cb, save);
}

void
confab_chat_view_save_upload (ConfabChatView *self,
                              const char     *upload_id,
                              GFile          *target)
{
  g_autofree char *escaped = g_uri_escape_string (upload_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/uploads/%s", escaped);
  Save *save = g_new0 (Save, 1);

  save->self = g_object_ref (self);
  save->target = g_object_ref (target);
  confab_client_download_async (confab_chat_view_client (self), path, NULL, downloaded_cb, save);
}

static void
chooser_cb (GtkNativeDialog *chooser,
            int              response,
            ConfabChatView  *self)
{
  const char *upload_id = g_object_get_data (G_OBJECT (chooser), "upload-id");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        confab_chat_view_save_upload (self, upload_id, file);
    }
  g_object_unref (chooser);
}

/* chat.save-file(s): the attachment's JSON (id, name) from the card. */
static void
save_file_action (GtkWidget  *widget,
                  const char *name,
                  GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  g_autoptr (JsonParser) parser = json_parser_new ();
  GtkFileChooserNative *chooser;
  JsonObject *attachment;
  const char *id, *file_name;
  g_autofree char *base = NULL;

  if (self->account == NULL ||
      !json_parser_load_from_data (parser, g_variant_get_string (parameter, NULL), -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  attachment = json_node_get_object (json_parser_get_root (parser));
  id = json_object_get_string_member_with_default (attachment, "id", NULL);
  file_name = json_object_get_string_member_with_default (attachment, "name", NULL);
  if (id == NULL)
    return;
  /* the visitor's name for it, never a path */
  base = g_path_get_basename (file_name != NULL && *file_name != '\0' ? file_name : "file");
  chooser = gtk_file_chooser_native_new (_("Save File"), GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), NULL);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser),
                                     g_strcmp0 (base, "/") != 0 && g_strcmp0 (base, ".") != 0
                                     ? base : "file");
  g_object_set_data_full (G_OBJECT (chooser), "upload-id", g_strdup (id), g_free);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
confab_chat_view_files_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.save-file", "s", save_file_action);
}
