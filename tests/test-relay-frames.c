/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-frames.c: the message path's frames written by hand (confab-hub-frames.c, issue 12)
 * say exactly what the json-glib frames say (message_frame(), the ack), member for member and
 * in the same order, for every kind of message and for bodies full of what JSON must escape.
 * A member added to confab_message_to_json() without its twin in confab-hub-frames.c fails
 * here. */
#define G_LOG_DOMAIN "test-relay-frames"

#include "confab-hub-private.h"

#include <string.h>

/* The hand-built text parses, and as JSON it is the json-glib frame; byte for byte too unless
 * the frame holds what json-glib writes raw (0x1f). */
static void
assert_same_frame (const ConfabMessage *message,
                   const char          *site_id,
                   ConfabAudience       audience)
{
  g_autoptr (JsonObject) reference = message_frame (message, site_id, audience);
  g_autofree char *reference_text = confab_frame_to_string (reference);
  g_autofree char *text = hub_message_frame_text (message, site_id, audience);
  g_autoptr (JsonNode) reference_node = json_node_init_object (json_node_alloc (), reference);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  if (!json_node_equal (node, reference_node))
    g_error ("hand-built frame differs:\n%s\njson-glib:\n%s", text, reference_text);
  if (message->body == NULL || strchr (message->body, 0x1f) == NULL)
    g_assert_cmpstr (text, ==, reference_text);
}

static void
assert_same_both (const ConfabMessage *message)
{
  assert_same_frame (message, "site_1", CONFAB_AUDIENCE_AGENT);
  assert_same_frame (message, "site_1", CONFAB_AUDIENCE_VISITOR);
}

static void
test_kinds (void)
{
  ConfabUpload image = {
    .id = "upl_1", .mime = "image/png", .width = 640, .height = 480, .size = 12345,
    .kind = "image",
  };
  ConfabUpload file = {
    .id = "upl_2", .mime = "application/pdf", .size = 99, .kind = "file", .name = "Invoice \"7\".pdf",
  };
  ConfabMessage message = {
    .conversation_id = "conv_1", .seq = 7, .cursor = 1234567890123, .client_id = "c-1",
    .sender_type = CONFAB_SENDER_VISITOR, .sender_id = "vis_1", .sender_name = "Ann",
    .body = "Is shipping free?", .created_at = 1764000000123,
  };

  /* a visitor's message, as the writer stores most of them */
  assert_same_both (&message);

  /* no name, no time */
  message.sender_name = NULL;
  message.created_at = 0;
  assert_same_both (&message);
  message.created_at = 1;
  assert_same_both (&message);

  /* an offline message turned into the conversation */
  message.client_id = "off_abc";
  assert_same_both (&message);

  /* an agent's reply (avatar_url: null without an avatar store) */
  message.client_id = "c-2";
  message.sender_type = CONFAB_SENDER_AGENT;
  message.sender_id = "usr_1";
  message.sender_name = "Olga";
  assert_same_both (&message);

  /* a bot's FAQ answer, and a bot's message without a FAQ */
  message.client_id = NULL;
  message.sender_type = CONFAB_SENDER_BOT;
  message.sender_id = "faq_1";
  assert_same_both (&message);
  message.sender_id = NULL;
  assert_same_both (&message);
  /* the assistant's answer (issue 16): its stored object's members, as written */
  message.assistant_json = "{\"stream_id\":\"stm_1\",\"sources\":[{\"title\":\"Ship \\\"fast\\\"\","
                           "\"url\":null}],\"actions\":[{\"type\":\"talk_to_human\",\"label\":\"Talk to a person\"}]}";
  assert_same_both (&message);
  message.assistant_json = "{\"sources\":[],\"actions\":[]}";
  assert_same_both (&message);
  /* the visitor's vote on it, and on an FAQ answer */
  message.vote = 1;
  assert_same_both (&message);
  message.vote = -1;
  assert_same_both (&message);
  message.assistant_json = NULL;
  message.sender_id = "faq_1";
  assert_same_both (&message);
  message.sender_id = NULL;
  message.vote = 0;
  /* the bot's notice that nobody can take over: its ask_email action, marked by its client id */
  message.client_id = CONFAB_ASK_EMAIL_CLIENT_PREFIX "5c1e0d2a";
  assert_same_both (&message);
  message.client_id = NULL;

  /* a system note */
  message.sender_type = CONFAB_SENDER_SYSTEM;
  message.sender_name = NULL;
  assert_same_both (&message);

  /* pictures and files, with and without words */
  message.sender_type = CONFAB_SENDER_VISITOR;
  message.sender_id = "vis_1";
  message.client_id = "c-3";
  message.attachment_id = "upl_1";
  message.attachment = &image;
  assert_same_both (&message);
  message.body = NULL;
  assert_same_both (&message);
  message.attachment = &file;
  assert_same_both (&message);

  /* an agent's reply in a Messenger or WhatsApp conversation: its delivery state, for agents */
  message.attachment_id = NULL;
  message.attachment = NULL;
  message.body = "Your order left today";
  message.sender_type = CONFAB_SENDER_AGENT;
  message.sender_id = "usr_1";
  message.sender_name = "Olga";
  message.delivery_status = "pending";
  assert_same_both (&message);
  message.delivery_status = "failed";
  message.delivery_error = "(#131047) Re-engagement message \"outside\" the window";
  assert_same_both (&message);
}

static void
test_escaping (void)
{
  char every_ascii[128];
  ConfabMessage message = {
    .conversation_id = "conv_\"1\"", .seq = 1, .cursor = 2, .client_id = "c\\1",
    .sender_type = CONFAB_SENDER_VISITOR, .sender_id = "vis_1", .sender_name = "A\tB\n",
    .created_at = 1764000000999,
  };
  static const char * const bodies[] = {
    "quote \" backslash \\ slash / </script>",
    "\b\f\n\r\t and \x01\x02\x7f",
    "é ü ß — 😀 \xe2\x80\xa8 \xe2\x80\xa9 \xef\xbb\xbf",
    "\x1f unit separator",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      message.body = (char *) bodies[i];
      assert_same_both (&message);
    }

  for (int c = 1; c < 128; c++)
    every_ascii[c - 1] = c;
  every_ascii[127] = '\0';
  message.body = every_ascii;
  assert_same_both (&message);

  /* random text of every plane */
  for (guint round = 0; round < 200; round++)
    {
      g_autoptr (GString) body = g_string_new (NULL);
      guint length = g_test_rand_int_range (0, 60);

      for (guint i = 0; i < length; i++)
        {
          gunichar c;

          do
            c = g_test_rand_bit () ? (gunichar) g_test_rand_int_range (1, 0x80)
                                   : (gunichar) g_test_rand_int_range (0x80, 0x110000);
          while (!g_unichar_validate (c));
          g_string_append_unichar (body, c);
        }
      message.body = body->str;
      assert_same_both (&message);
    }
}

static void
test_ack (void)
{
  ConfabMessage message = {
    .conversation_id = "conv_1", .seq = 42, .client_id = "c-\"quoted\"-\x01",
  };
  g_autoptr (JsonObject) frame = confab_frame_new ("ack");
  g_autofree char *reference = NULL;
  g_autofree char *text = hub_ack_text (&message);

  /* as send_ack() built it before */
  json_object_set_string_member (frame, "client_id", message.client_id);
  json_object_set_string_member (frame, "conversation_id", message.conversation_id);
  json_object_set_int_member (frame, "seq", message.seq);
  reference = confab_frame_to_string (frame);
  g_assert_cmpstr (text, ==, reference);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/frames/kinds", test_kinds);
  g_test_add_func ("/relay/frames/escaping", test_escaping);
  g_test_add_func ("/relay/frames/ack", test_ack);

  return g_test_run ();
}
