/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-websocket-parser.c: RFC 6455 server-side framing (see the header). */
#define G_LOG_DOMAIN "confab-websocket"

#include "confab-websocket-parser.h"

#include <string.h>

void
confab_ws_parser_init (ConfabWsParser *parser,
                       guint64         max_message)
{
  memset (parser, 0, sizeof *parser);
  parser->max_message = max_message;
}

void
confab_ws_parser_clear (ConfabWsParser *parser)
{
  g_clear_pointer (&parser->message, g_byte_array_unref);
  parser->message_opcode = 0;
}

gboolean
confab_utf8_feed (ConfabUtf8State *state,
                  const guint8    *data,
                  gsize            len)
{
  for (gsize i = 0; i < len; i++)
    {
      guint8 b = data[i];

      if (state->state == 0)
        {
          if (b < 0x80)
            continue;
          /* the second byte's range rules out overlong forms, surrogates and > U+10FFFF */
          state->lower = 0x80;
          state->upper = 0xBF;
          if (b >= 0xC2 && b <= 0xDF)
            state->state = 1;
          else if (b == 0xE0)
            state->state = 2, state->lower = 0xA0;
          else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF)
            state->state = 2;
          else if (b == 0xED)
            state->state = 2, state->upper = 0x9F;
          else if (b == 0xF0)
            state->state = 3, state->lower = 0x90;
          else if (b >= 0xF1 && b <= 0xF3)
            state->state = 3;
          else if (b == 0xF4)
            state->state = 3, state->upper = 0x8F;
          else
            return FALSE;
        }
      else
        {
          if (b < state->lower || b > state->upper)
            return FALSE;
          state->state--;
          state->lower = 0x80;
          state->upper = 0xBF;
        }
    }
  return TRUE;
}

gboolean
confab_ws_close_code_valid (guint code)
{
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

gsize
confab_ws_frame_header (guint8  out[CONFAB_WS_MAX_SERVER_HEADER],
                        guint8  opcode,
                        guint64 payload_len)
{
  out[0] = 0x80 | opcode;
  if (payload_len < 126)
    {
      out[1] = payload_len;
      return 2;
    }
  if (payload_len < 65536)
    {
      out[1] = 126;
      out[2] = payload_len >> 8;
      out[3] = payload_len & 0xff;
      return 4;
    }
  out[1] = 127;
  for (guint i = 0; i < 8; i++)
    out[2 + i] = (payload_len >> (56 - 8 * i)) & 0xff;
  return 10;
}

static ConfabWsEventType
parser_error (ConfabWsParser *parser,
              ConfabWsEvent  *event,
              gushort         code,
              const char     *reason)
{
  event->type = CONFAB_WS_EVENT_ERROR;
  event->close_code = code;
  event->reason = reason;
  confab_ws_parser_clear (parser);
  parser->discard_data = TRUE;
  if (code == CONFAB_WS_CLOSE_PROTOCOL_ERROR)
    parser->failed = TRUE;
  return CONFAB_WS_EVENT_ERROR;
}

/* The header is complete: check it. Returns NONE when the frame may be read. */
static ConfabWsEventType
parser_check_header (ConfabWsParser *parser,
                     ConfabWsEvent  *event)
{
  gboolean control = (parser->opcode & 0x8) != 0;

  if (parser->header[0] & 0x70)
    return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR, "reserved bits set");

  if (control)
    {
      if (parser->opcode > CONFAB_WS_OPCODE_PONG)
        return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR, "unknown opcode");
      if (!parser->fin || parser->remaining > 125)
        return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR, "bad control frame");
      parser->control_len = 0;
      return CONFAB_WS_EVENT_NONE;
    }

  if (parser->opcode > CONFAB_WS_OPCODE_BINARY)
    return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR, "unknown opcode");

  if (parser->discard_data)
    {
      parser->skip = parser->remaining;
      parser->remaining = 0;
      return CONFAB_WS_EVENT_NONE;
    }

  if (parser->opcode == CONFAB_WS_OPCODE_CONTINUATION)
    {
      if (parser->message_opcode == 0)
        return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR,
                             "continuation without a message");
    }
  else if (parser->message_opcode != 0)
    return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR,
                         "new message inside a fragmented one");

  {
    guint64 so_far = parser->message ? parser->message->len : 0;

    if (parser->remaining > parser->max_message || so_far + parser->remaining > parser->max_message)
      {
        guint64 skip = parser->remaining;

        parser_error (parser, event, CONFAB_WS_CLOSE_TOO_BIG, "message too big");
        /* its payload need not be read, but skipping it keeps the framing for a close frame */
        parser->skip = skip;
        parser->remaining = 0;
        return CONFAB_WS_EVENT_ERROR;
      }
  }

  if (parser->opcode != CONFAB_WS_OPCODE_CONTINUATION)
    {
      parser->message_opcode = parser->opcode;
      /* grown as bytes come, so that a header alone cannot make us allocate the limit */
      parser->message = g_byte_array_sized_new (MIN (parser->remaining, 64 * 1024));
      memset (&parser->utf8, 0, sizeof parser->utf8);
    }
  return CONFAB_WS_EVENT_NONE;
}

/* Reads header bytes; returns how many it used. Sets *@done when the header is whole. */
static gsize
parser_read_header (ConfabWsParser *parser,
                    const guint8   *data,
                    gsize           len,
                    gboolean       *done)
{
  gsize used = 0;
  guint need = 2;

  *done = FALSE;
  while (used < len)
    {
      if (parser->header_len >= 2)
        {
          guint8 len7 = parser->header[1] & 0x7f;

          need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((parser->header[1] & 0x80) ? 4 : 0);
        }
      if (parser->header_len >= need)
        break;
      parser->header[parser->header_len++] = data[used++];
    }

  if (parser->header_len >= 2)
    {
      guint8 len7 = parser->header[1] & 0x7f;

      need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((parser->header[1] & 0x80) ? 4 : 0);
      /* a client that does not mask is wrong as soon as its second byte is read */
      if (!(parser->header[1] & 0x80) || parser->header_len >= need)
        *done = TRUE;
    }
  return used;
}

static ConfabWsEventType
parser_parse_header (ConfabWsParser *parser,
                     ConfabWsEvent  *event)
{
  guint8 len7 = parser->header[1] & 0x7f;
  guint pos = 2;

  parser->fin = (parser->header[0] & 0x80) != 0;
  parser->opcode = parser->header[0] & 0x0f;
  if (!(parser->header[1] & 0x80))
    return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR, "client frames must be masked");

  if (len7 == 126)
    {
      parser->remaining = ((guint64) parser->header[2] << 8) | parser->header[3];
      pos = 4;
    }
  else if (len7 == 127)
    {
      parser->remaining = 0;
      for (guint i = 0; i < 8; i++)
        parser->remaining = (parser->remaining << 8) | parser->header[2 + i];
      pos = 10;
      if (parser->remaining >> 63)
        return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR, "bad length");
    }
  else
    parser->remaining = len7;
  memcpy (parser->mask, parser->header + pos, 4);
  parser->payload_pos = 0;

  return parser_check_header (parser, event);
}

/* The last byte of a frame was read. */
static ConfabWsEventType
parser_frame_done (ConfabWsParser *parser,
                   ConfabWsEvent  *event)
{
  parser->in_payload = FALSE;
  parser->header_len = 0;

  switch (parser->opcode)
    {
    case CONFAB_WS_OPCODE_PING:
    case CONFAB_WS_OPCODE_PONG:
      event->type = parser->opcode == CONFAB_WS_OPCODE_PING ? CONFAB_WS_EVENT_PING : CONFAB_WS_EVENT_PONG;
      event->opcode = parser->opcode;
      event->payload = g_bytes_new (parser->control, parser->control_len);
      return event->type;

    case CONFAB_WS_OPCODE_CLOSE:
      event->opcode = parser->opcode;
      if (parser->control_len == 0)
        event->close_code = CONFAB_WS_CLOSE_NO_STATUS;
      else if (parser->control_len == 1)
        return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR, "bad close frame");
      else
        {
          ConfabUtf8State utf8 = { 0 };

          event->close_code = (parser->control[0] << 8) | parser->control[1];
          if (!confab_ws_close_code_valid (event->close_code))
            return parser_error (parser, event, CONFAB_WS_CLOSE_PROTOCOL_ERROR, "bad close code");
          if (!confab_utf8_feed (&utf8, parser->control + 2, parser->control_len - 2) ||
              !confab_utf8_complete (&utf8))
            return parser_error (parser, event, CONFAB_WS_CLOSE_BAD_DATA, "close reason is not UTF-8");
        }
      event->type = CONFAB_WS_EVENT_CLOSE;
      event->payload = g_bytes_new (parser->control, parser->control_len);
      return CONFAB_WS_EVENT_CLOSE;

    default:
      break;
    }

  if (parser->discard_data || !parser->fin)
    return CONFAB_WS_EVENT_NONE;

  if (parser->message_opcode == CONFAB_WS_OPCODE_TEXT && !confab_utf8_complete (&parser->utf8))
    return parser_error (parser, event, CONFAB_WS_CLOSE_BAD_DATA, "text is not UTF-8");

  event->type = CONFAB_WS_EVENT_MESSAGE;
  event->opcode = parser->message_opcode;
  event->payload = g_byte_array_free_to_bytes (g_steal_pointer (&parser->message));
  parser->message_opcode = 0;
  return CONFAB_WS_EVENT_MESSAGE;
}

ConfabWsEventType
confab_ws_parser_feed (ConfabWsParser *parser,
                       const guint8   *data,
                       gsize           len,
                       gsize          *consumed,
                       ConfabWsEvent  *event)
{
  gsize pos = 0;
  ConfabWsEventType type = CONFAB_WS_EVENT_NONE;

  memset (event, 0, sizeof *event);

  while (pos < len && type == CONFAB_WS_EVENT_NONE)
    {
      if (parser->failed)
        {
          pos = len;
          break;
        }

      if (parser->skip > 0)
        {
          gsize n = MIN (parser->skip, len - pos);

          parser->skip -= n;
          pos += n;
          if (parser->skip == 0 && parser->in_payload)
            type = parser_frame_done (parser, event);
          continue;
        }

      if (!parser->in_payload)
        {
          gboolean done;

          pos += parser_read_header (parser, data + pos, len - pos, &done);
          if (!done)
            continue;
          parser->in_payload = TRUE;
          type = parser_parse_header (parser, event);
          if (type == CONFAB_WS_EVENT_ERROR)
            {
              /* a 1009 skips the payload; with the frame read, look for the next header */
              if (parser->skip == 0)
                {
                  parser->in_payload = FALSE;
                  parser->header_len = 0;
                }
              break;
            }
          if (parser->skip == 0 && parser->remaining == 0)
            type = parser_frame_done (parser, event);
          continue;
        }

      {
        gsize n = MIN (parser->remaining, len - pos);
        guint8 *dest;

        if (parser->opcode & 0x8)
          {
            dest = parser->control + parser->control_len;
            parser->control_len += n;
          }
        else
          {
            guint old = parser->message->len;

            g_byte_array_set_size (parser->message, old + n);
            dest = parser->message->data + old;
          }

        for (gsize i = 0; i < n; i++)
          dest[i] = data[pos + i] ^ parser->mask[(parser->payload_pos + i) & 3];
        parser->payload_pos += n;
        parser->remaining -= n;
        pos += n;

        if (parser->message_opcode == CONFAB_WS_OPCODE_TEXT && !(parser->opcode & 0x8) &&
            !confab_utf8_feed (&parser->utf8, dest, n))
          {
            guint64 skip = parser->remaining;

            type = parser_error (parser, event, CONFAB_WS_CLOSE_BAD_DATA, "text is not UTF-8");
            parser->skip = skip;
            parser->remaining = 0;
            if (skip == 0)
              {
                parser->in_payload = FALSE;
                parser->header_len = 0;
              }
            break;
          }

        if (parser->remaining == 0)
          type = parser_frame_done (parser, event);
      }
    }

  *consumed = pos;
  return type;
}
