/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-outbox.c: ConfabClient, sending the outbox in order, exactly once. */
#define G_LOG_DOMAIN "confab-client"

#include "confab-client-private.h"
#include "confab-json.h"

/* Codes after which the same message would be refused again: the entry fails for good (the
 * user may retry or discard it). Anything else (rate_limited, internal_error, unknown codes of
 * a newer relay) is tried again. */
static const char * const permanent_codes[] = {
  "client_id_conflict", "not_found", "forbidden", "invalid_value", "invalid_field",
  "missing_field", "too_long", "too_large", "invalid_utf8",
};

#define RETRY_MS 2000

static gboolean
retry_cb (gpointer user_data)
{
  ConfabClient *self = user_data;

  self->outbox_retry_source = 0;
  g_clear_pointer (&self->in_flight, g_free);
  confab_client_outbox_pump (self);
  return G_SOURCE_REMOVE;
}

/* One message at a time: the next goes only after the ack of the one before, so that a
 * message refused for a while (rate limited) never lets a later one overtake it. */
void
confab_client_outbox_pump (ConfabClient *self)
{
  g_autoptr (GPtrArray) queued = NULL;
  g_autoptr (JsonObject) frame = NULL;
  ConfabMessage *head;

  if (self->state != CONFAB_CLIENT_ONLINE || self->in_flight != NULL ||
      self->outbox_retry_source != 0)
    return;

  queued = confab_cache_outbox_list (self->cache);
  if (queued->len == 0)
    return;
  head = g_ptr_array_index (queued, 0);

  frame = json_object_new ();
  json_object_set_string_member (frame, "type", "message");
  json_object_set_string_member (frame, "conversation_id", confab_message_get_conversation_id (head));
  json_object_set_string_member (frame, "client_id", confab_message_get_client_id (head));
  json_object_set_string_member (frame, "body", confab_message_get_body (head));
  self->in_flight = g_strdup (confab_message_get_client_id (head));
  if (!confab_client_send_frame (self, frame))
    g_clear_pointer (&self->in_flight, g_free);
}

void
confab_client_outbox_reset (ConfabClient *self)
{
  g_clear_handle_id (&self->outbox_retry_source, g_source_remove);
  g_clear_pointer (&self->in_flight, g_free);
}

void
confab_client_outbox_handle_ack (ConfabClient *self,
                                 JsonObject   *frame)
{
  g_autoptr (GError) error = NULL;
  const char *client_id = NULL, *conversation_id = NULL;
  gint64 seq = 0;

  if (!confab_json_get_string (frame, "client_id", TRUE, &client_id, NULL) ||
      !confab_json_get_string (frame, "conversation_id", TRUE, &conversation_id, NULL) ||
      !confab_json_get_int (frame, "seq", TRUE, 0, &seq, NULL) || seq <= 0)
    {
      g_warning ("The relay sent an ack without client_id, conversation_id or seq; ignored");
      return;
    }

  /* Only our own outstanding message: an ack for anything else changes nothing. */
  if (g_strcmp0 (client_id, self->in_flight) != 0)
    return;

  if (!confab_cache_outbox_acked (self->cache, client_id, conversation_id, seq, &error))
    g_warning ("Could not record a delivered message: %s", error->message);
  g_clear_pointer (&self->in_flight, g_free);
  confab_client_outbox_pump (self);
}

gboolean
confab_client_outbox_handle_error (ConfabClient *self,
                                   JsonObject   *frame)
{
  g_autoptr (GError) error = NULL;
  const char *ref = NULL, *code = NULL;
  gint64 retry_after = 0;

  if (!confab_json_get_string (frame, "ref", FALSE, &ref, NULL) || ref == NULL ||
      g_strcmp0 (ref, self->in_flight) != 0)
    return FALSE;
  if (!confab_json_get_string (frame, "code", FALSE, &code, NULL))
    code = NULL;

  if (code != NULL && g_strv_contains (permanent_codes, code))
    {
      g_message ("The relay refused a queued message for good (%s)", code);
      if (!confab_cache_outbox_failed (self->cache, ref, code, &error))
        g_warning ("Could not record a refused message: %s", error->message);
      g_clear_pointer (&self->in_flight, g_free);
      confab_client_outbox_pump (self);
      return TRUE;
    }

  /* retry_after is in seconds in error frames (PROTOCOL.md, rate_limited) */
  confab_json_get_int (frame, "retry_after", FALSE, 0, &retry_after, NULL);
  g_clear_handle_id (&self->outbox_retry_source, g_source_remove);
  self->outbox_retry_source = g_timeout_add (retry_after > 0 ? (guint) MIN (retry_after, 600) * 1000
                                                             : RETRY_MS,
                                             retry_cb, self);
  return TRUE;
}
