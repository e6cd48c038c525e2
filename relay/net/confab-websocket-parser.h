/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-websocket-parser.h: RFC 6455 frames as a server reads and writes them.
 *
 * No I/O here: the parser is fed whatever bytes the socket gave and hands back one event at a
 * time, so that it can be tested byte by byte and ConfabWebsocket stays about sockets.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONFAB_WS_OPCODE_CONTINUATION 0x0
#define CONFAB_WS_OPCODE_TEXT         0x1
#define CONFAB_WS_OPCODE_BINARY       0x2
#define CONFAB_WS_OPCODE_CLOSE        0x8
#define CONFAB_WS_OPCODE_PING         0x9
#define CONFAB_WS_OPCODE_PONG         0xA

#define CONFAB_WS_CLOSE_NORMAL           1000
#define CONFAB_WS_CLOSE_PROTOCOL_ERROR   1002
#define CONFAB_WS_CLOSE_NO_STATUS        1005
#define CONFAB_WS_CLOSE_BAD_DATA         1007
#define CONFAB_WS_CLOSE_TOO_BIG          1009

/* The longest header a server writes: 2 bytes, 8 of length, no mask. */
#define CONFAB_WS_MAX_SERVER_HEADER 10

typedef enum {
  CONFAB_WS_EVENT_NONE,     /* every byte fed was used, no event yet */
  CONFAB_WS_EVENT_MESSAGE,  /* a whole data message: opcode TEXT (valid UTF-8) or BINARY */
  CONFAB_WS_EVENT_PING,
  CONFAB_WS_EVENT_PONG,
  CONFAB_WS_EVENT_CLOSE,    /* close_code (CONFAB_WS_CLOSE_NO_STATUS when none) and payload's reason */
  CONFAB_WS_EVENT_ERROR,    /* the peer broke the protocol: close with close_code */
} ConfabWsEventType;

typedef struct {
  ConfabWsEventType type;
  guint8            opcode;
  GBytes           *payload;      /* owned by the caller; NULL for NONE and ERROR */
  gushort           close_code;
  const char       *reason;       /* ERROR only: static text for the close frame */
} ConfabWsEvent;

typedef struct {
  guint8   state;               /* utf8 continuation bytes still expected */
  guint8   lower, upper;        /* bounds of the next continuation byte */
} ConfabUtf8State;

typedef struct {
  guint64          max_message;

  /* the frame being read */
  guint8           header[14];
  guint            header_len;
  gboolean         in_payload;
  guint8           opcode;
  gboolean         fin;
  guint8           mask[4];
  guint64          remaining;
  guint64          payload_pos;  /* for the mask */
  guint8           control[125];
  guint            control_len;

  /* the data message being assembled (across fragments) */
  GByteArray      *message;
  guint8           message_opcode;  /* 0: none under way */
  ConfabUtf8State  utf8;

  /* after an error: skip this many payload bytes, report control frames only */
  guint64          skip;
  gboolean         discard_data;
  gboolean         failed;        /* framing lost: ignore everything */
} ConfabWsParser;

void              confab_ws_parser_init    (ConfabWsParser *parser,
                                            guint64         max_message);
void              confab_ws_parser_clear   (ConfabWsParser *parser);

/* Reads from @data until one event is complete or @data is used up; *@consumed says how far it
 * got. Call again with the rest. After an ERROR the parser keeps reading, skipping data, so that
 * a close frame that follows is still seen (unless framing itself was lost). */
ConfabWsEventType confab_ws_parser_feed    (ConfabWsParser *parser,
                                            const guint8   *data,
                                            gsize           len,
                                            gsize          *consumed,
                                            ConfabWsEvent  *event);

/* Writes the header of an unmasked frame with FIN set into @out; returns its length. */
gsize             confab_ws_frame_header   (guint8          out[CONFAB_WS_MAX_SERVER_HEADER],
                                            guint8          opcode,
                                            guint64         payload_len);

/* Validates UTF-8 a chunk at a time: FALSE as soon as the bytes so far cannot be UTF-8. */
gboolean          confab_utf8_feed         (ConfabUtf8State *state,
                                            const guint8    *data,
                                            gsize            len);
/* Whether the text fed so far ends on a character boundary. */
#define           confab_utf8_complete(s)  ((s)->state == 0)

/* Whether @code may appear in a close frame (RFC 6455 7.4). */
gboolean          confab_ws_close_code_valid (guint code);

G_END_DECLS
