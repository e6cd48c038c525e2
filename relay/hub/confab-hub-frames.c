/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-frames.c: the message path's frames written straight into their text (issue 12).
 *
 * A visitor's message goes out as three frames (the ack, the echo to the visitor's tabs, the
 * message to the site's agents). Built as json-glib trees, each cost a JsonObject per object,
 * a JsonNode per member, a deep copy per audience and a JsonGenerator walk: about a third of
 * the relay's malloc/free at saturation. Here each is one GString, written once, in the same
 * members and order as message_frame() and send_ack() build them — test-relay-frames compares
 * the two for every kind of message, so a member added to confab_message_to_json() without its
 * twin here fails there. */
#define G_LOG_DOMAIN "confab-hub"

#include "confab-hub-private.h"
#include "confab-avatars.h"

#include <time.h>

/* As json-glib escapes, except that 0x1f is escaped too (json-glib 1.6 writes it raw, which is
 * not JSON: a browser's JSON.parse refuses the whole frame). */
static void
append_escaped (GString    *out,
                const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = text;
  const char *p;

  g_string_append_c (out, '"');
  for (p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      const char *escape = NULL;

      if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
        continue;

      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (c)
        {
        case '"':  escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        default:
          {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

            g_string_append_len (out, u, sizeof u);
          }
          continue;
        }
      g_string_append (out, escape);
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

/* ,"name": — every member but an object's first */
static void
append_name (GString    *out,
             const char *name)
{
  g_string_append_c (out, ',');
  g_string_append_c (out, '"');
  g_string_append (out, name);
  g_string_append (out, "\":");
}

static void
append_string_or_null (GString    *out,
                       const char *name,
                       const char *value)
{
  append_name (out, name);
  if (value != NULL)
    append_escaped (out, value);
  else
    g_string_append (out, "null");
}

static void
append_int (GString    *out,
            const char *name,
            gint64      value)
{
  append_name (out, name);
  g_string_append_printf (out, "%" G_GINT64_FORMAT, value);
}

/* confab_format_time()'s text without its GDateTime */
static void
append_time (GString    *out,
             const char *name,
             gint64      unix_ms)
{
  time_t seconds = unix_ms / 1000;
  struct tm tm;

  append_name (out, name);
  if (unix_ms <= 0 || gmtime_r (&seconds, &tm) == NULL)
    {
      g_string_append (out, unix_ms <= 0 ? "null" : "\"1970-01-01T00:00:00.000Z\"");
      return;
    }
  g_string_append_printf (out, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                          (int) (unix_ms % 1000));
}

/* The same text as confab_frame_to_string (message_frame (@message, @site_id, @audience)). */
char *
hub_message_frame_text (const ConfabMessage *message,
                        const char          *site_id,
                        ConfabAudience       audience)
{
  GString *out = g_string_sized_new (256 + (message->body != NULL ? strlen (message->body) : 0));

  g_string_append (out, "{\"type\":\"message\"");
  append_string_or_null (out, "conversation_id", message->conversation_id);
  append_int (out, "seq", message->seq);
  append_string_or_null (out, "client_id", message->client_id);

  append_name (out, "sender");
  g_string_append (out, "{\"type\":");
  append_escaped (out, confab_sender_to_string (message->sender_type));
  append_string_or_null (out, "name", message->sender_name);
  if (audience == CONFAB_AUDIENCE_AGENT && message->sender_id != NULL)
    append_string_or_null (out, "id", message->sender_id);
  if (message->sender_type == CONFAB_SENDER_AGENT)
    {
      g_autofree char *avatar_url = confab_avatar_url (message->sender_id);

      append_string_or_null (out, "avatar_url", avatar_url);
    }
  g_string_append_c (out, '}');

  if (message->sender_type == CONFAB_SENDER_BOT && message->sender_id != NULL)
    {
      append_string_or_null (out, "faq_id", message->sender_id);
      append_name (out, "actions");
      g_string_append (out, "[{\"type\":\"talk_to_human\",\"label\":\"Talk to a person\"}]");
    }

  if (confab_message_asks_email (message))
    {
      append_name (out, "actions");
      g_string_append (out, "[{\"type\":\"ask_email\",\"label\":\"" CONFAB_ASK_EMAIL_LABEL "\"}]");
    }

  /* as confab_message_to_json(): the stored object's members, which json-glib wrote compactly
   * ({"stream_id":…,"sources":[…],"actions":[…]}), so its text between the braces is theirs */
  if (message->assistant_json != NULL)
    {
      gsize length = strlen (message->assistant_json);

      append_name (out, "assistant");
      g_string_append (out, "true");
      if (length > 2 && message->assistant_json[0] == '{' && message->assistant_json[length - 1] == '}')
        {
          g_string_append_c (out, ',');
          g_string_append_len (out, message->assistant_json + 1, length - 2);
        }
    }

  if (message->vote != 0)
    append_string_or_null (out, "vote", message->vote > 0 ? "up" : "down");

  if (message->sender_type == CONFAB_SENDER_VISITOR && message->client_id != NULL &&
      g_str_has_prefix (message->client_id, "off_"))
    append_string_or_null (out, "offline_message_id", message->client_id);

  append_string_or_null (out, "body", message->body);
  append_name (out, "attachment");
  if (message->attachment != NULL)
    {
      /* rare on this path: json-glib's own text for the upload */
      g_autoptr (JsonObject) attachment = confab_upload_to_json (message->attachment);
      g_autofree char *text = confab_json_object_to_string (attachment);

      g_string_append (out, text);
    }
  else
    g_string_append (out, "null");
  append_time (out, "created_at", message->created_at);

  /* an agent's message in another channel: how far the platform got with it */
  if (audience == CONFAB_AUDIENCE_AGENT && message->delivery_status != NULL)
    {
      append_name (out, "delivery");
      g_string_append (out, "{\"status\":");
      append_escaped (out, message->delivery_status);
      append_string_or_null (out, "error", message->delivery_error);
      g_string_append_c (out, '}');
    }

  if (audience == CONFAB_AUDIENCE_AGENT)
    {
      append_string_or_null (out, "site_id", site_id);
      append_int (out, "cursor", message->cursor);
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

/* The same text as send_ack() sends. */
char *
hub_ack_text (const ConfabMessage *message)
{
  GString *out = g_string_sized_new (128);

  g_string_append (out, "{\"type\":\"ack\"");
  append_string_or_null (out, "client_id", message->client_id);
  append_string_or_null (out, "conversation_id", message->conversation_id);
  append_int (out, "seq", message->seq);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}
