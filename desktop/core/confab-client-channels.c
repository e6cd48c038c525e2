/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-channels.c: ConfabClient, conversations' channels and messages' delivery
 * states into the cache; WhatsApp templates (see the header). */
#define G_LOG_DOMAIN "confab-client"

#include <string.h>

#include "confab-cache-channels.h"
#include "confab-client-channels.h"
#include "confab-client-private.h"
#include "confab-json.h"

gboolean
confab_client_channels_handle_frame (ConfabClient *self,
                                     const char   *type,
                                     JsonObject   *frame,
                                     gint64        cursor)
{
  g_autoptr (GError) error = NULL;
  JsonObject *object = NULL, *delivery = NULL;
  const char *conversation_id = NULL;
  gint64 seq = 0;

  if (strcmp (type, "conversation") == 0)
    {
      if (confab_json_get_object (frame, "conversation", FALSE, &object, NULL) && object != NULL &&
          !confab_cache_note_channel (self->cache, object, &error))
        g_warning ("Could not keep a conversation's channel: %s", error->message);
      return FALSE;
    }
  if (strcmp (type, "message") != 0 && strcmp (type, "delivery") != 0)
    return FALSE;
  if (!confab_json_get_string (frame, "conversation_id", FALSE, &conversation_id, NULL) ||
      !confab_json_get_int (frame, "seq", FALSE, 0, &seq, NULL) ||
      !confab_json_get_object (frame, "delivery", FALSE, &delivery, NULL))
    delivery = NULL;
  if (strcmp (type, "message") == 0)
    {
      /* the message itself is applied after this: its row is there for the next frame */
      if (delivery != NULL &&
          !confab_cache_note_delivery (self->cache, conversation_id, seq, delivery, &error))
        g_warning ("Could not keep a message's delivery: %s", error->message);
      return FALSE;
    }
  if (delivery == NULL)
    g_warning ("A delivery frame without its conversation, seq or delivery");
  else if (!confab_cache_note_delivery (self->cache, conversation_id, seq, delivery, &error))
    g_warning ("Could not keep a message's delivery: %s", error->message);
  if (cursor > 0)
    confab_cache_set_cursor (self->cache, cursor, NULL);
  return TRUE;
}

gboolean
confab_client_send_template (ConfabClient  *self,
                             const char    *conversation_id,
                             const char    *name,
                             const char    *language,
                             const char    *body,
                             GError       **error)
{
  g_autoptr (JsonObject) frame = json_object_new ();
  g_autoptr (JsonObject) template = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (conversation_id != NULL && name != NULL, FALSE);

  if (self->state != CONFAB_CLIENT_ONLINE)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE,
                   "Not connected to the relay");
      return FALSE;
    }
  json_object_set_string_member (template, "name", name);
  json_object_set_string_member (template, "language", language != NULL ? language : "en_US");
  json_object_set_string_member (frame, "type", "message");
  json_object_set_string_member (frame, "conversation_id", conversation_id);
  json_object_set_string_member (frame, "client_id", client_id);
  json_object_set_string_member (frame, "body", body != NULL && *body != '\0' ? body : name);
  json_object_set_object_member (frame, "template", g_steal_pointer (&template));
  if (!confab_client_send_frame (self, frame))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE,
                   "Not connected to the relay");
      return FALSE;
    }
  return TRUE;
}
