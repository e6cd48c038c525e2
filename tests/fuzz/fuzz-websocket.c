/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-websocket.c: libFuzzer target for the RFC 6455 frame parser.
 *
 * The first byte picks how the input is cut into reads (a socket hands the parser arbitrary
 * pieces), the rest is the byte stream a client sent. Every event must be self-consistent:
 * text is valid UTF-8, a control payload fits in 125 bytes, nothing outgrows max_message. */
#define G_LOG_DOMAIN "fuzz-websocket"

#include "confab-websocket-parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGE 4096

/* RFC 3629 UTF-8, in which U+0000 is a character (g_utf8_validate() refuses it) */
static gboolean
utf8_valid (const guint8 *data,
            gsize         len)
{
  while (len > 0)
    {
      const guint8 *nul = memchr (data, 0, len);
      gsize part = nul ? (gsize) (nul - data) : len;

      if (!g_utf8_validate ((const char *) data, part, NULL))
        return FALSE;
      if (nul == NULL)
        break;
      data += part + 1;
      len -= part + 1;
    }
  return TRUE;
}

static void
check_event (const ConfabWsEvent *event)
{
  gsize len = 0;
  const guint8 *data = event->payload ? g_bytes_get_data (event->payload, &len) : NULL;

  switch (event->type)
    {
    case CONFAB_WS_EVENT_MESSAGE:
      if (event->payload == NULL || len > MAX_MESSAGE)
        abort ();
      if (event->opcode == CONFAB_WS_OPCODE_TEXT && !utf8_valid (data, len))
        abort ();
      if (event->opcode != CONFAB_WS_OPCODE_TEXT && event->opcode != CONFAB_WS_OPCODE_BINARY)
        abort ();
      break;
    case CONFAB_WS_EVENT_PING:
    case CONFAB_WS_EVENT_PONG:
    case CONFAB_WS_EVENT_CLOSE:
      if (len > 125)
        abort ();
      break;
    case CONFAB_WS_EVENT_ERROR:
      if (event->reason == NULL || !confab_ws_close_code_valid (event->close_code))
        abort ();
      break;
    case CONFAB_WS_EVENT_NONE:
    default:
      break;
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  ConfabWsParser parser;
  gsize chunk;
  gsize pos;

  if (size < 1)
    return 0;

  /* 0 means "everything at once"; else reads of 1..255 bytes */
  chunk = data[0] ? data[0] : G_MAXSIZE;
  data++, size--;

  confab_ws_parser_init (&parser, MAX_MESSAGE);
  pos = 0;
  while (pos < size)
    {
      gsize end = pos + MIN (chunk, size - pos);

      /* feed one read until the parser has used all of it */
      while (pos < end)
        {
          ConfabWsEvent event = { 0, };
          gsize consumed = 0;

          confab_ws_parser_feed (&parser, data + pos, end - pos, &consumed, &event);
          if (consumed > end - pos)
            abort ();
          check_event (&event);
          g_clear_pointer (&event.payload, g_bytes_unref);
          /* no progress without an event would loop forever in the relay too */
          if (consumed == 0 && event.type == CONFAB_WS_EVENT_NONE)
            abort ();
          pos += consumed;
          if (parser.failed)
            goto out;
        }
    }

out:
  confab_ws_parser_clear (&parser);
  return 0;
}
