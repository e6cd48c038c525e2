/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-email.c: issue 15's e-mail against real servers on loopback that each test starts
 * — an SMTP server (aiosmtpd, tests/smtp-sink.py) and an IMAP server (Dovecot): replies to
 * offline messages, transcripts, notifications and their opt-out, the queue surviving a down
 * server and a relay restart, the site's mailbox (mail → conversation → agent reply → threaded
 * mail → the customer's answer in the same conversation), no loops, bad config and bad input. */
#include "relay-harness.h"
#include "mail-harness.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#define MAIL_TIMEOUT_MS 10000

static char *
email_config (guint16 port)
{
  return g_strdup_printf ("[email]\nsmtp-server=127.0.0.1\nsmtp-port=%u\nsmtp-security=none\n"
                          "from-address=support@a.test\nfrom-name=Site a support\n", port);
}

static void
quiet_world (TestWorld *world)
{
  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", "offline_message", NULL);
}

static char *
leave_message (TestWs     *visitor,
               const char *email_json)
{
  g_autoptr(JsonObject) left = NULL;

  test_ws_sendf (visitor, "{'type':'leave_message','name':'Ann','email':%s,"
                 "'body':'Can you ship to Norway?'}", email_json);
  left = test_ws_wait_for (visitor, "left_message", TEST_TIMEOUT_MS);
  return g_strdup (test_obj_string (left, "id"));
}

static JsonObject *
reply (TestWorld  *world,
       const char *offline_id,
       const char *body_json,
       guint       status,
       const char *code)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/offline-messages/%s/reply", offline_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "POST", path, world->token,
                                                body_json, NULL);

  test_assert_http_error (response, status, code);
  return json_object_ref (test_response_object (response));
}

/* The offline message's first reply once its delivery has @status. */
static JsonObject *
wait_reply_status (TestWorld  *world,
                   const char *offline_id,
                   guint       index,
                   const char *status,
                   gboolean    with_error)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/offline-messages/%s", offline_id);
  gint64 deadline = g_get_monotonic_time () + (gint64) MAIL_TIMEOUT_MS * 1000 * test_timeout_multiplier ();

  for (;;)
    {
      g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
      JsonArray *replies;
      JsonObject *entry;

      test_assert_http_status (response, 200);
      replies = test_obj_array (test_response_object (response), "replies");
      g_assert_cmpuint (json_array_get_length (replies), >, index);
      entry = json_array_get_object_element (replies, index);
      if (g_strcmp0 (test_obj_string (entry, "delivery.status"), status) == 0 &&
          (!with_error || test_obj_has (entry, "delivery.error")))
        return json_object_ref (entry);
      if (g_get_monotonic_time () > deadline)
        g_error ("reply %u of %s never became %s: %s", index, offline_id, status,
                 test_obj_to_string (entry));
      test_sleep_ms (100);
    }
}

static void
test_offline_reply (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autofree char *config = email_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) answer = NULL, sent = NULL;
  g_autoptr(GMimeMessage) mail = NULL, notification = NULL;
  g_autofree char *offline_id = NULL, *text = NULL, *note_text = NULL;
  InternetAddressList *to;

  quiet_world (world);
  offline_id = leave_message (world->visitor, "\"ann@b.test\"");

  /* the owner wants notifications (the default): the new offline message comes by mail */
  notification = mail_sink_wait_for (sink, world->email, 0, MAIL_TIMEOUT_MS);
  g_assert_nonnull (notification);
  g_assert_cmpstr (g_mime_message_get_subject (notification), ==, "New message from Ann on Site a");
  g_assert_cmpstr (mail_header (notification, "Auto-Submitted"), ==, "auto-generated");
  note_text = mail_text_body (notification);
  g_assert_nonnull (strstr (note_text, "> Can you ship to Norway?"));
  g_assert_nonnull (strstr (note_text, "ann@b.test"));

  answer = reply (world, offline_id, "{\"body\":\"Yes, we ship to Norway: 5 days, 12 €.\"}", 201, NULL);
  g_assert_nonnull (test_obj_string (answer, "id"));
  g_assert_cmpstr (test_obj_string (answer, "offline_message_id"), ==, offline_id);
  g_assert_cmpstr (test_obj_string (answer, "body"), ==, "Yes, we ship to Norway: 5 days, 12 €.");
  g_assert_cmpstr (test_obj_string (answer, "author.id"), ==, world->user_id);
  g_assert_cmpstr (test_obj_string (answer, "author.name"), ==, "Owner a");
  g_assert_nonnull (test_obj_string (answer, "sent_at"));
  g_assert_cmpstr (test_obj_string (answer, "delivery.status"), ==, "pending");
  g_assert_true (test_obj_is_null (answer, "delivery.error"));

  /* the mail as the visitor's server receives it */
  mail = mail_sink_wait_for (sink, "ann@b.test", 0, MAIL_TIMEOUT_MS);
  g_assert_nonnull (mail);
  g_assert_cmpstr (g_mime_message_get_subject (mail), ==, "Re: your message to Site a");
  to = g_mime_message_get_to (mail);
  g_assert_cmpint (internet_address_list_length (to), ==, 1);
  g_assert_cmpstr (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (
                     internet_address_list_get_address (to, 0))), ==, "ann@b.test");
  g_assert_cmpstr (internet_address_get_name (internet_address_list_get_address (to, 0)), ==, "Ann");
  {
    InternetAddressList *from = g_mime_message_get_from (mail);
    InternetAddress *sender = internet_address_list_get_address (from, 0);

    g_assert_cmpstr (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (sender)), ==,
                     "support@a.test");
    g_assert_cmpstr (internet_address_get_name (sender), ==, "Site a support");
  }
  g_assert_nonnull (g_mime_message_get_message_id (mail));
  g_assert_true (g_str_has_suffix (g_mime_message_get_message_id (mail), "@a.test"));
  g_assert_nonnull (g_mime_message_get_date (mail));
  /* a person's answer, not an automatic one */
  g_assert_null (mail_header (mail, "Auto-Submitted"));
  text = mail_text_body (mail);
  g_assert_true (g_str_has_prefix (text, "Yes, we ship to Norway: 5 days, 12 €.\n"));
  g_assert_nonnull (strstr (text, "> Can you ship to Norway?"));
  g_assert_nonnull (strstr (text, "Owner a, Site a"));

  /* the offline message lists it, sent */
  sent = wait_reply_status (world, offline_id, 0, "sent", FALSE);
  g_assert_cmpstr (test_obj_string (sent, "id"), ==, test_obj_string (answer, "id"));
  g_assert_true (test_obj_is_null (sent, "delivery.error"));
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/offline-messages", world->site_id);
    g_autoptr(TestResponse) list = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    JsonArray *messages;

    test_assert_http_status (list, 200);
    messages = test_obj_array (test_response_object (list), "offline_messages");
    g_assert_cmpuint (json_array_get_length (
                        test_obj_array (json_array_get_object_element (messages, 0), "replies")), ==, 1);
  }
}

static void
test_offline_reply_bad_input (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autofree char *config = email_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autofree char *with_address = NULL, *without = NULL, *long_body = NULL, *long_json = NULL;
  g_autofree char *other_token = NULL, *other_site = NULL, *other_key = NULL;

  quiet_world (world);
  with_address = leave_message (world->visitor, "\"ann@b.test\"");
  /* the widget checks little more than an @: this one cannot be mailed */
  without = leave_message (world->visitor, "\"ann@b@c.test\"");

  g_clear_pointer (&long_body, g_free);
  long_body = g_strnfill (10001, 'x');
  long_json = g_strdup_printf ("{\"body\":\"%s\"}", long_body);
  json_object_unref (reply (world, with_address, "{}", 400, "missing_field"));
  json_object_unref (reply (world, with_address, "{\"body\":\"   \"}", 400, "invalid_value"));
  json_object_unref (reply (world, with_address, long_json, 400, "invalid_value"));
  json_object_unref (reply (world, with_address, "{\"body\":\"hi\",\"to\":\"x@y.test\"}", 400,
                            "invalid_field"));
  json_object_unref (reply (world, with_address, "{\"body\":42}", 400, "invalid_field"));
  /* nowhere to send it */
  json_object_unref (reply (world, without, "{\"body\":\"hello\"}", 400, "invalid_value"));
  json_object_unref (reply (world, "offline_nope", "{\"body\":\"hello\"}", 404, "not_found"));

  /* another site's owner sees nothing */
  test_world_add_tenant (world, "c", &other_token, &other_site, &other_key);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/offline-messages/%s/reply", with_address);
    g_autoptr(TestResponse) response = test_http (world->relay, "POST", path, other_token,
                                                  "{\"body\":\"hello\"}", NULL);
    g_autoptr(TestResponse) get = NULL;

    test_assert_http_error (response, 404, "not_found");
    g_free (path);
    path = g_strdup_printf ("/api/v1/offline-messages/%s", with_address);
    get = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    test_assert_http_status (get, 200);
    /* nothing stored by the refused calls */
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (get), "replies")), ==, 0);
  }
}

/* Without [email] smtp-server: 503 email_unavailable, nothing stored */
static void
test_email_unavailable (void)
{
  g_autoptr(TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *offline_id = NULL, *conversation_id = NULL, *path = NULL, *body = NULL;
  g_autoptr(TestResponse) transcript = NULL, get = NULL;

  quiet_world (world);
  offline_id = leave_message (world->visitor, "\"ann@b.test\"");
  json_object_unref (reply (world, offline_id, "{\"body\":\"hello\"}", 503, "email_unavailable"));
  path = g_strdup_printf ("/api/v1/offline-messages/%s", offline_id);
  get = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (get), "replies")), ==, 0);

  test_visitor_say (world->visitor, "hello", &conversation_id);
  body = g_strdup_printf ("{\"conversation_id\":\"%s\",\"email\":\"ann@b.test\"}", conversation_id);
  transcript = test_http (world->relay, "POST", "/api/v1/widget/transcript", world->visitor_token,
                          body, NULL);
  test_assert_http_error (transcript, 503, "email_unavailable");
}

/* SMTP down: the reply is stored and pending with the reason; it goes out when the server is
 * back — by the backoff while the relay runs, and at once after a restart. */
static void
test_smtp_down_then_back (void)
{
  guint16 port = mail_free_port ();
  g_autofree char *config = email_config (port);
  g_autoptr(TestWorld) world = NULL;
  g_autoptr(MailSink) sink = NULL;
  g_autoptr(JsonObject) first = NULL, pending = NULL, second = NULL, waiting = NULL, done = NULL;
  g_autoptr(GMimeMessage) mail = NULL, later = NULL;
  g_autofree char *offline_id = NULL;

  /* the first retry after 1 s, not 5 (the relay's test hook): the backoff is what is tested,
   * not its length */
  g_setenv ("CONFAB_TEST_MAIL_RETRY_MS", "1000", TRUE);
  world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_unsetenv ("CONFAB_TEST_MAIL_RETRY_MS");
  quiet_world (world);
  offline_id = leave_message (world->visitor, "\"ann@b.test\"");
  first = reply (world, offline_id, "{\"body\":\"First answer\"}", 201, NULL);
  pending = wait_reply_status (world, offline_id, 0, "pending", TRUE);
  g_assert_nonnull (strstr (test_obj_string (pending, "delivery.error"), "onnect"));

  /* back: the next attempt (1 s after the first here; 5 s in a real relay) sends it */
  sink = mail_sink_start (port, NULL);
  mail = mail_sink_wait_for (sink, "ann@b.test", 0, 15000);
  g_assert_nonnull (mail);
  g_assert_cmpstr (g_mime_message_get_subject (mail), ==, "Re: your message to Site a");
  json_object_unref (wait_reply_status (world, offline_id, 0, "sent", FALSE));

  /* down again, and the relay restarts while a reply waits: nothing is lost */
  mail_sink_stop (sink);
  second = reply (world, offline_id, "{\"body\":\"Second answer\"}", 201, NULL);
  waiting = wait_reply_status (world, offline_id, 1, "pending", TRUE);
  test_ws_free (g_steal_pointer (&world->agent));
  test_ws_free (g_steal_pointer (&world->visitor));
  test_relay_stop (world->relay);
  mail_sink_resume (sink);
  test_relay_start (world->relay);
  later = mail_sink_wait_for (sink, "ann@b.test", 1, 3000);
  g_assert_nonnull (later);
  {
    g_autofree char *text = mail_text_body (later);

    if (!g_str_has_prefix (text, "Second answer\n"))
      g_error ("second mail: %s", text);
  }
  done = wait_reply_status (world, offline_id, 1, "sent", FALSE);
  g_assert_cmpstr (test_obj_string (done, "id"), ==, test_obj_string (second, "id"));
  /* each mail once */
  g_assert_cmpuint (mail_sink_count (sink, "ann@b.test"), ==, 2);
}

/* Two relays on one database (a shared SQLite directory, or PostgreSQL) wake for the same retry
 * at the same moment: each mail goes out once, sent by whichever relay took it. */
static void
test_two_relays (void)
{
  guint16 port = mail_free_port ();
  g_autofree char *config = email_config (port);
  g_autoptr(TestWorld) world = NULL;
  g_autoptr(TestRelay) second = NULL;
  g_autoptr(MailSink) sink = NULL;
  g_autofree char *offline_id = NULL;
  const guint replies = 3;

  /* both relays' retries start from 2 s, not 5 (the relay's test hook): still after the server
   * is back, and both wake for the same attempt */
  g_setenv ("CONFAB_TEST_MAIL_RETRY_MS", "2000", TRUE);
  world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_unsetenv ("CONFAB_TEST_MAIL_RETRY_MS");
  quiet_world (world);
  offline_id = leave_message (world->visitor, "\"ann@b.test\"");
  for (guint i = 0; i < replies; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"body\":\"Answer %u\"}", i);

      json_object_unref (reply (world, offline_id, body, 201, NULL));
    }
  for (guint i = 0; i < replies; i++)
    json_object_unref (wait_reply_status (world, offline_id, i, "pending", TRUE));

  /* the second relay tries them at once as it starts (the server is still down): from then on
   * both relays wait for the same next attempt */
  second = test_relay_new_full (config, test_relay_data_dir (world->relay));
  g_setenv ("CONFAB_TEST_MAIL_RETRY_MS", "2000", TRUE);
  test_relay_start (second);
  g_unsetenv ("CONFAB_TEST_MAIL_RETRY_MS");
  test_sleep_ms (1000);
  sink = mail_sink_start (port, NULL);
  for (guint i = 0; i < replies; i++)
    json_object_unref (wait_reply_status (world, offline_id, i, "sent", FALSE));
  /* long enough for the other relay's turn to have come */
  test_sleep_ms (1500);
  g_assert_cmpuint (mail_sink_count (sink, "ann@b.test"), ==, replies);
}

/* A permanent refusal (550) is final at once: failed, with the server's words. */
static void
test_smtp_refused (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, "ann@b.test");
  g_autofree char *config = email_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) failed = NULL;
  g_autofree char *offline_id = NULL;

  quiet_world (world);
  offline_id = leave_message (world->visitor, "\"ann@b.test\"");
  json_object_unref (reply (world, offline_id, "{\"body\":\"Hello\"}", 201, NULL));
  failed = wait_reply_status (world, offline_id, 0, "failed", TRUE);
  g_assert_nonnull (strstr (test_obj_string (failed, "delivery.error"), "550"));
  g_assert_cmpuint (mail_sink_count (sink, "ann@b.test"), ==, 0);
}

/* A hung SMTP server holds the worker thread, never the relay: requests and chat go on. */
static void
test_smtp_hung (void)
{
  g_autoptr(MailSink) hung = mail_sink_start_stalled ();
  g_autofree char *config = email_config (mail_sink_port (hung));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autofree char *offline_id = NULL, *conversation_id = NULL;
  g_autoptr(JsonObject) pending = NULL;

  quiet_world (world);
  offline_id = leave_message (world->visitor, "\"ann@b.test\"");
  json_object_unref (reply (world, offline_id, "{\"body\":\"Hello\"}", 201, NULL));
  /* the sender is connected and waiting for a greeting that never comes */
  test_sleep_ms (300);
  for (guint i = 0; i < 5; i++)
    {
      gint64 started = g_get_monotonic_time ();
      g_autoptr(TestResponse) health = test_http (world->relay, "GET", "/healthz", NULL, NULL, NULL);

      test_assert_http_status (health, 200);
      g_assert_cmpint (g_get_monotonic_time () - started, <, 1000 * 1000 * test_timeout_multiplier ());
    }
  test_visitor_say (world->visitor, "Still there?", &conversation_id);
  test_agent_say (world->agent, conversation_id, "Yes!");
  pending = wait_reply_status (world, offline_id, 0, "pending", FALSE);
  g_assert_true (test_obj_is_null (pending, "delivery.error"));
  /* and it stops cleanly while the worker still waits (test_relay_free asserts it) */
}

/* smtp-security=starttls must get TLS: a server that offers no STARTTLS gets no mail in clear;
 * the mail waits with the reason. */
static void
test_starttls_required (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autofree char *config = g_strdup_printf ("[email]\nsmtp-server=127.0.0.1\nsmtp-port=%u\n"
                                             "from-address=support@a.test\n", mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) pending = NULL;
  g_autofree char *offline_id = NULL;

  quiet_world (world);
  offline_id = leave_message (world->visitor, "\"ann@b.test\"");
  json_object_unref (reply (world, offline_id, "{\"body\":\"Hello\"}", 201, NULL));
  pending = wait_reply_status (world, offline_id, 0, "pending", TRUE);
  g_assert_nonnull (test_obj_string (pending, "delivery.error"));
  g_assert_cmpuint (mail_sink_total (sink), ==, 0);
}

static TestResponse *
ask_transcript (TestWorld  *world,
                const char *token,
                const char *body)
{
  return test_http (world->relay, "POST", "/api/v1/widget/transcript", token, body, NULL);
}

static void
test_transcript (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autofree char *config = email_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(GMimeMessage) mail = NULL;
  g_autoptr(TestWs) stranger = NULL;
  g_autoptr(JsonObject) stranger_welcome = NULL;
  g_autofree char *conversation_id = NULL, *body = NULL, *text = NULL;

  quiet_world (world);
  test_ws_ignore (world->agent, "conversation", "message", "note", NULL);
  test_visitor_say (world->visitor, "Do you have the blue one?", &conversation_id);
  test_agent_say (world->agent, conversation_id, "Yes, in all sizes.");
  test_ws_sendf (world->agent, "{'type':'note','conversation_id':'%s','client_id':'n-1',"
                 "'body':'secret team remark'}", conversation_id);
  test_visitor_say (world->visitor, "Great, thanks!", NULL);

  body = g_strdup_printf ("{\"conversation_id\":\"%s\",\"email\":\"ann@b.test\"}", conversation_id);
  {
    g_autoptr(TestResponse) response = ask_transcript (world, world->visitor_token, body);

    test_assert_http_status (response, 202);
    g_assert_cmpstr (test_response_header (response, "Access-Control-Allow-Origin"), ==, "*");
  }
  mail = mail_sink_wait_for (sink, "ann@b.test", 0, MAIL_TIMEOUT_MS);
  g_assert_nonnull (mail);
  g_assert_cmpstr (g_mime_message_get_subject (mail), ==, "Your conversation with Site a");
  g_assert_cmpstr (mail_header (mail, "Auto-Submitted"), ==, "auto-generated");
  text = mail_text_body (mail);
  g_assert_nonnull (strstr (text, "Do you have the blue one?"));
  g_assert_nonnull (strstr (text, "Owner a:\nYes, in all sizes."));
  g_assert_nonnull (strstr (text, "Great, thanks!"));
  g_assert_true (strstr (text, "Do you have") < strstr (text, "Great, thanks"));
  /* notes are the team's */
  g_assert_null (strstr (text, "secret team remark"));

  /* bad input */
  {
    g_autoptr(TestResponse) no_token = ask_transcript (world, NULL, body);
    g_autoptr(TestResponse) agent_token = ask_transcript (world, world->token, body);
    g_autoptr(TestResponse) bad_email = NULL, unknown = NULL, extra = NULL, preflight = NULL;
    g_autofree char *bad = g_strdup_printf ("{\"conversation_id\":\"%s\",\"email\":\"a@b@c\"}",
                                            conversation_id);
    g_autofree char *with_extra = g_strdup_printf ("{\"conversation_id\":\"%s\",\"email\":\"ann@b.test\","
                                                   "\"cc\":\"x@y.test\"}", conversation_id);

    test_assert_http_error (no_token, 401, "unauthorized");
    test_assert_http_error (agent_token, 401, "unauthorized");
    bad_email = ask_transcript (world, world->visitor_token, bad);
    test_assert_http_error (bad_email, 400, "invalid_value");
    extra = ask_transcript (world, world->visitor_token, with_extra);
    test_assert_http_error (extra, 400, "invalid_field");
    unknown = ask_transcript (world, world->visitor_token,
                              "{\"conversation_id\":\"conv_nope\",\"email\":\"ann@b.test\"}");
    test_assert_http_error (unknown, 404, "not_found");
    preflight = test_http (world->relay, "OPTIONS", "/api/v1/widget/transcript", NULL, NULL, NULL);
    test_assert_http_status (preflight, 204);
  }

  /* another visitor cannot have this conversation mailed */
  stranger = test_ws_widget (world->relay, world->site_key);
  stranger_welcome = test_visitor_hello (stranger, NULL, NULL, "https://a.test/");
  {
    g_autoptr(TestResponse) response = ask_transcript (world, test_obj_string (stranger_welcome, "visitor_token"),
                                                       body);

    test_assert_http_error (response, 404, "not_found");
  }

  /* a few per visitor and hour: the first one and two more, then 429 */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(TestResponse) response = ask_transcript (world, world->visitor_token, body);

      test_assert_http_status (response, 202);
    }
  {
    g_autoptr(TestResponse) response = ask_transcript (world, world->visitor_token, body);

    test_assert_http_error (response, 429, "rate_limited");
    g_assert_nonnull (test_response_header (response, "Retry-After"));
  }
  g_clear_object (&mail);
  mail = mail_sink_wait_for (sink, "ann@b.test", 2, MAIL_TIMEOUT_MS);
  g_assert_nonnull (mail);
}

/* PATCH /me email_notifications=false: no more notifications; the user object says so */
static void
test_notifications_opt_out (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autofree char *config = email_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autofree char *offline_id = NULL;
  g_autoptr(GMimeMessage) mail = NULL;

  quiet_world (world);
  {
    g_autoptr(TestResponse) me = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);

    test_assert_http_status (me, 200);
    g_assert_true (test_obj_bool (test_response_object (me), "user.email_notifications"));
  }
  {
    g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", "/api/v1/me", world->token,
                                                 "{\"email_notifications\":false}", NULL);
    g_autoptr(TestResponse) bad = test_http (world->relay, "PATCH", "/api/v1/me", world->token,
                                             "{\"email_notifications\":\"no\"}", NULL);
    g_autoptr(TestResponse) me = test_http (world->relay, "GET", "/api/v1/me", world->token, NULL, NULL);

    test_assert_http_status (patched, 200);
    g_assert_false (test_obj_bool (test_response_object (patched), "user.email_notifications"));
    /* the name stays as it was */
    g_assert_cmpstr (test_obj_string (test_response_object (patched), "user.name"), ==, "Owner a");
    test_assert_http_error (bad, 400, "invalid_field");
    g_assert_false (test_obj_bool (test_response_object (me), "user.email_notifications"));
  }

  offline_id = leave_message (world->visitor, "\"ann@b.test\"");
  /* the queue sends in order: once the reply (queued after) is out, a notification would be too */
  json_object_unref (reply (world, offline_id, "{\"body\":\"Hello\"}", 201, NULL));
  mail = mail_sink_wait_for (sink, "ann@b.test", 0, MAIL_TIMEOUT_MS);
  g_assert_nonnull (mail);
  g_assert_cmpuint (mail_sink_count (sink, world->email), ==, 0);
  g_assert_cmpuint (mail_sink_total (sink), ==, 1);

  /* back on */
  {
    g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", "/api/v1/me", world->token,
                                                 "{\"email_notifications\":true}", NULL);
    g_autoptr(GMimeMessage) notification = NULL;
    g_autofree char *second = NULL;

    test_assert_http_status (patched, 200);
    g_assert_true (test_obj_bool (test_response_object (patched), "user.email_notifications"));
    second = leave_message (world->visitor, "\"ann@b.test\"");
    notification = mail_sink_wait_for (sink, world->email, 0, MAIL_TIMEOUT_MS);
    g_assert_nonnull (notification);
  }
}

/* A visitor's first message while no agent is online is a missed chat for those who want
 * mail; with an agent online it is none. */
static void
test_missed_chat (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autofree char *config = email_config (mail_sink_port (sink));
  g_autoptr(GMimeMessage) missed = NULL, notification = NULL;
  g_autofree char *text = NULL, *offline_id = NULL;

  {
    g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_NO_AGENT);

    test_ws_ignore (world->visitor, "agents_online", NULL);
    test_visitor_say (world->visitor, "Is anyone there?", NULL);
    missed = mail_sink_wait_for (sink, world->email, 0, MAIL_TIMEOUT_MS);
    g_assert_nonnull (missed);
    g_assert_cmpstr (g_mime_message_get_subject (missed), ==, "Missed chat from A visitor on Site a");
    g_assert_cmpstr (mail_header (missed, "Auto-Submitted"), ==, "auto-generated");
    text = mail_text_body (missed);
    g_assert_nonnull (strstr (text, "> Is anyone there?"));
    /* the second message of the same conversation is no new missed chat */
    test_visitor_say (world->visitor, "Hello?", NULL);
  }
  {
    g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);

    quiet_world (world);
    test_visitor_say (world->visitor, "Is anyone there?", NULL);
    /* queued in order: a missed chat would come before the offline message's notification
     * (the first world's missed chat is mail 0 to the same owner address) */
    offline_id = leave_message (world->visitor, "\"ann@b.test\"");
    notification = mail_sink_wait_for (sink, world->email, 1, MAIL_TIMEOUT_MS);
    g_assert_nonnull (notification);
    g_assert_cmpstr (g_mime_message_get_subject (notification), ==, "New message from Ann on Site a");
    g_assert_cmpuint (mail_sink_count (sink, world->email), ==, 2);
  }
}

/* Bad [email] values stop the relay at start with a message that names the key. */
static void
test_bad_config (void)
{
  g_autoptr(TestRelay) relay = test_relay_new (NULL);
  g_autofree char *missing = g_build_filename (test_relay_tmp_dir (relay), "no-such-file", NULL);
  g_autofree char *password_file = g_strdup_printf ("smtp-user=relay\nsmtp-password-file=%s\n", missing);
  struct {
    const char *lines;
    const char *expected;
  } cases[] = {
    { "smtp-server=192.0.2.1\nsmtp-security=none\nfrom-address=s@a.test\n", "only allowed to a server on loopback" },
    { "smtp-server=127.0.0.1\nsmtp-security=ssl\nfrom-address=s@a.test\n", "[email] smtp-security must be" },
    { "smtp-server=127.0.0.1\nsmtp-port=0\nfrom-address=s@a.test\n", "[email] smtp-port must be" },
    { "smtp-server=127.0.0.1\nsmtp-port=70000\nfrom-address=s@a.test\n", "[email] smtp-port must be" },
    { "smtp-server=127.0.0.1\n", "[email] from-address must be" },
    { "smtp-server=127.0.0.1\nfrom-address=not an address\n", "[email] from-address must be" },
    { "smtp-server=smtp://mail.a.test\nfrom-address=s@a.test\n", "[email] smtp-server must be" },
    { "smtp-server=127.0.0.1\nfrom-address=s@a.test\nsmtp-password-file=/etc/hostname\n", "needs smtp-user" },
    { "smtp-server=127.0.0.1\nfrom-address=s@a.test\nallow-insecure-imap=perhaps\n", "[email] allow-insecure-imap" },
    { NULL, "[email] smtp-password-file" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *config = g_build_filename (test_relay_tmp_dir (relay), "bad.conf", NULL);
      g_autofree char *text = NULL, *out = NULL, *err = NULL;
      int status = 0;
      const char *argv[] = { g_getenv ("CONFAB_RELAY"), "--config", config, "--listen", "127.0.0.1:0",
                             "--data-dir", test_relay_tmp_dir (relay), NULL };

      text = cases[i].lines != NULL
        ? g_strdup_printf ("[email]\n%s", cases[i].lines)
        : g_strdup_printf ("[email]\nsmtp-server=127.0.0.1\nfrom-address=s@a.test\n%s", password_file);
      g_assert_true (g_file_set_contents (config, text, -1, NULL));
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out, &err, &status, NULL));
      g_assert_false (g_spawn_check_wait_status (status, NULL));
      if (strstr (err, cases[i].expected) == NULL)
        g_error ("case %u: expected “%s” in: %s", i, cases[i].expected, err);
    }
}


/* --- the site's mailbox over IMAP (Dovecot) ----------------------------------------------- */

#define IMAP_PASSWORD "imap-secret-1"

static char *
mailbox_config (guint16 smtp_port)
{
  g_autofree char *smtp = email_config (smtp_port);

  return g_strdup_printf ("%sallow-insecure-imap=true\n", smtp);
}

/* PUT the mailbox, polled every @poll_seconds: the relay polls it at once (also how a test
 * makes it poll again). */
static JsonObject *
put_mailbox_every (TestWorld  *world,
                   MailBox    *box,
                   const char *password,
                   guint       poll_seconds)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/channels/email", world->site_id);
  g_autofree char *password_json = password != NULL ? g_strdup_printf (",\"imap_password\":\"%s\"", password)
                                                    : g_strdup ("");
  g_autofree char *body = g_strdup_printf ("{\"address\":\"help@a.test\",\"imap_url\":\"%s\","
                                           "\"imap_user\":\"help\",\"poll_seconds\":%u%s}",
                                           mail_box_url (box), poll_seconds, password_json);
  g_autoptr(TestResponse) response = test_http (world->relay, "PUT", path, world->token, body, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_response_object (response));
}

static JsonObject *
put_mailbox (TestWorld  *world,
             MailBox    *box,
             const char *password)
{
  return put_mailbox_every (world, box, password, 30);
}

static JsonObject *
get_mailbox (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/channels/email", world->site_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_response_object (response));
}

/* Waits until the relay has read every mail of the box and recorded the poll. */
static JsonObject *
wait_polled (TestWorld  *world,
             MailBox    *box,
             const char *after)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) MAIL_TIMEOUT_MS * 1000 * test_timeout_multiplier ();

  for (;;)
    {
      g_autoptr(JsonObject) channel = get_mailbox (world);

      if (mail_box_unseen (box) == 0 && test_obj_has (channel, "last_polled_at") &&
          g_strcmp0 (test_obj_string (channel, "last_polled_at"), after) > 0)
        return g_steal_pointer (&channel);
      if (g_get_monotonic_time () > deadline)
        g_error ("the mailbox was not polled: %s", test_obj_to_string (channel));
      test_sleep_ms (100);
    }
}

/* Waits until the relay waits on the mailbox with IMAP IDLE. */
static void
wait_idling (TestWorld *world)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) MAIL_TIMEOUT_MS * 1000 * test_timeout_multiplier ();

  for (;;)
    {
      g_autoptr(JsonObject) channel = get_mailbox (world);

      if (test_obj_bool (channel, "idle"))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("the relay never idled on the mailbox: %s", test_obj_to_string (channel));
      test_sleep_ms (50);
    }
}

/* Occurrences of @text in the relay's stderr. */
static guint
stderr_count (TestRelay  *relay,
              const char *text)
{
  g_autofree char *err = test_relay_get_stderr (relay);
  guint count = 0;

  for (const char *p = err; (p = strstr (p, text)) != NULL; p += strlen (text))
    count++;
  return count;
}

static void
add_faq (TestWorld  *world,
         const char *json)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autoptr(TestResponse) response = test_http (world->relay, "POST", path, world->token, json, NULL);

  test_assert_http_status (response, 201);
}

/* The FAQ bot answers a mail it can answer by mail, threaded, as the site's assistant; once an
 * agent wrote in the conversation it keeps quiet, as in the widget. */
static void
test_mailbox_faq_bot (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) question = NULL, bot = NULL, sent = NULL, later = NULL;
  g_autoptr(GMimeMessage) answer = NULL, agent_mail = NULL;
  g_autofree char *text = NULL, *conversation_id = NULL;

  quiet_world (world);
  add_faq (world, "{\"question\":\"What are your opening hours?\","
                  "\"answer\":\"We are open 9 to 5, Monday to Friday.\"}");
  add_faq (world, "{\"question\":\"Do you ship abroad?\","
                  "\"answer\":\"We ship to every country in the EU.\"}");
  json_object_unref (put_mailbox_every (world, box, IMAP_PASSWORD, 600));
  json_object_unref (wait_polled (world, box, ""));

  mail_box_deliver (box, "From: Ann Lee <ann@b.test>\r\nTo: help@a.test\r\nSubject: Hours\r\n"
                         "Message-ID: <hours@b.test>\r\n\r\nWhat are your opening hours?\r\n");
  json_object_unref (put_mailbox_every (world, box, NULL, 600));
  question = test_ws_wait_for_match (world->agent, "message", "body", "What are your opening hours?",
                                     MAIL_TIMEOUT_MS);
  conversation_id = g_strdup (test_obj_string (question, "conversation_id"));
  bot = test_ws_wait_for_match (world->agent, "message", "sender.type", "bot", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (bot, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (bot, "body"), ==, "We are open 9 to 5, Monday to Friday.");
  g_assert_cmpstr (test_obj_string (bot, "delivery.status"), ==, "pending");

  /* the answer by mail, in the thread, signed by the bot */
  answer = mail_sink_wait_for (sink, "ann@b.test", 0, MAIL_TIMEOUT_MS);
  g_assert_nonnull (answer);
  g_assert_cmpstr (mail_header (answer, "In-Reply-To"), ==, "<hours@b.test>");
  g_assert_cmpstr (mail_header (answer, "References"), ==, "<hours@b.test>");
  g_assert_cmpstr (mail_header (answer, "Auto-Submitted"), ==, "auto-generated");
  text = mail_text_body (answer);
  g_assert_true (g_str_has_prefix (text, "We are open 9 to 5, Monday to Friday."));
  g_assert_nonnull (strstr (text, "Site a assistant"));
  sent = test_ws_wait_for (world->agent, "delivery", MAIL_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (sent, "seq"), ==, test_obj_int (bot, "seq"));
  g_assert_cmpstr (test_obj_string (sent, "delivery.status"), ==, "sent");

  /* an agent writes: from now on the bot keeps quiet, whatever is asked */
  test_agent_say (world->agent, conversation_id, "Anything else?");
  json_object_unref (test_ws_wait_for_match (world->agent, "message", "body", "Anything else?", MAIL_TIMEOUT_MS));
  agent_mail = mail_sink_wait_for (sink, "ann@b.test", 1, MAIL_TIMEOUT_MS);
  g_assert_nonnull (agent_mail);
  mail_box_deliver (box, "From: Ann Lee <ann@b.test>\r\nTo: help@a.test\r\nSubject: Re: Hours\r\n"
                         "In-Reply-To: <hours@b.test>\r\nMessage-ID: <abroad@b.test>\r\n\r\n"
                         "Do you ship abroad?\r\n");
  json_object_unref (put_mailbox_every (world, box, NULL, 600));
  later = test_ws_wait_for_match (world->agent, "message", "body", "Do you ship abroad?", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (later, "conversation_id"), ==, conversation_id);
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
  g_assert_cmpuint (mail_sink_count (sink, "ann@b.test"), ==, 2);
}

/* Dovecot offers IDLE: a mail is read as soon as it comes, not at the next poll (600 s away). */
static void
test_mailbox_idle (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) conversation = NULL, first = NULL, second = NULL, channel = NULL;
  gint64 start;

  quiet_world (world);
  json_object_unref (put_mailbox_every (world, box, IMAP_PASSWORD, 600));
  json_object_unref (wait_polled (world, box, ""));
  wait_idling (world);

  start = g_get_monotonic_time ();
  mail_box_deliver (box, "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Idle\r\n"
                         "Message-ID: <idle.1@b.test>\r\n\r\nAnyone there?\r\n");
  conversation = test_ws_wait_for (world->agent, "conversation", MAIL_TIMEOUT_MS);
  first = test_ws_wait_for_match (world->agent, "message", "body", "Anyone there?", MAIL_TIMEOUT_MS);
  g_test_message ("a mail delivered while idling was a message after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpstr (test_obj_string (conversation, "conversation.channel"), ==, "email");

  /* still idling after the first: the next one comes as fast */
  mail_box_deliver (box, "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Re: Idle\r\n"
                         "In-Reply-To: <idle.1@b.test>\r\nMessage-ID: <idle.2@b.test>\r\n\r\n"
                         "Hello?\r\n");
  second = test_ws_wait_for_match (world->agent, "message", "body", "Hello?", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (second, "conversation_id"), ==,
                   test_obj_string (first, "conversation_id"));
  channel = get_mailbox (world);
  g_assert_true (test_obj_bool (channel, "idle"));
}

/* The IDLE link drops (the server stops): the relay tries again after a few seconds and idles
 * once more, and a mail is read at once again, without waiting for the poll (600 s away). */
static void
test_mailbox_idle_drop (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) message = NULL;
  gint64 deadline;

  quiet_world (world);
  json_object_unref (put_mailbox_every (world, box, IMAP_PASSWORD, 600));
  json_object_unref (wait_polled (world, box, ""));
  wait_idling (world);

  mail_box_stop (box);
  deadline = g_get_monotonic_time () + (gint64) MAIL_TIMEOUT_MS * 1000 * test_timeout_multiplier ();
  for (;;)
    {
      g_autoptr(JsonObject) channel = get_mailbox (world);

      if (!test_obj_bool (channel, "idle"))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      test_sleep_ms (50);
    }
  mail_box_resume (box);
  /* the first retry comes 5 s after the drop */
  wait_idling (world);
  mail_box_deliver (box, "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Back\r\n"
                         "Message-ID: <back@b.test>\r\n\r\nBack again.\r\n");
  message = test_ws_wait_for_match (world->agent, "message", "body", "Back again.", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (message, "sender.type"), ==, "visitor");
}

/* A server that does not offer IDLE is polled at its interval (30 s, the shortest; the relay's
 * test hook CONFAB_TEST_MAIL_POLL_MS makes the timer wait 2 s here instead of half a minute). */
static void
test_mailbox_no_idle (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start_full ("help", IMAP_PASSWORD, FALSE);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = NULL;
  g_autoptr(JsonObject) polled = NULL, message = NULL, channel = NULL;

  g_setenv ("CONFAB_TEST_MAIL_POLL_MS", "2000", TRUE);
  world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_unsetenv ("CONFAB_TEST_MAIL_POLL_MS");
  quiet_world (world);
  json_object_unref (put_mailbox_every (world, box, IMAP_PASSWORD, 30));
  polled = wait_polled (world, box, "");
  mail_box_deliver (box, "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Poll\r\n"
                         "Message-ID: <poll.1@b.test>\r\n\r\nPolled, not pushed.\r\n");
  message = test_ws_wait_for_match (world->agent, "message", "body", "Polled, not pushed.",
                                    MAIL_TIMEOUT_MS);
  channel = wait_polled (world, box, test_obj_string (polled, "last_polled_at"));
  g_assert_false (test_obj_bool (channel, "idle"));
  g_assert_true (test_obj_is_null (channel, "last_error"));
}

static void
test_mailbox_round_trip (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) put = NULL, first = NULL, conversation = NULL, joined = NULL, by_token = NULL;
  g_autoptr(JsonObject) polled = NULL, channel = NULL, stranger = NULL, echo = NULL, sent = NULL;
  g_autoptr(GMimeMessage) out = NULL;
  g_autofree char *conversation_id = NULL, *out_id = NULL, *reply_mail = NULL, *token_mail = NULL;
  g_autofree char *stranger_mail = NULL, *text = NULL, *last = NULL, *expected_reply_to = NULL;

  quiet_world (world);
  mail_box_deliver (box,
                    "From: Ann Lee <ann@b.test>\r\nTo: help@a.test\r\nSubject: Order 42\r\n"
                    "Message-ID: <first.42@b.test>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
                    "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                    "\r\nWhere is my order 42? Gr=FC=DFe, Ann\r\n");
  put = put_mailbox (world, box, IMAP_PASSWORD);
  g_assert_true (test_obj_bool (put, "enabled"));
  g_assert_true (test_obj_bool (put, "has_imap_password"));
  g_assert_false (json_object_has_member (put, "imap_password"));

  /* a conversation of a visitor with the sender's address and name, the mail as their message */
  conversation = test_ws_wait_for (world->agent, "conversation", MAIL_TIMEOUT_MS);
  first = test_ws_wait_for (world->agent, "message", MAIL_TIMEOUT_MS);
  conversation_id = g_strdup (test_obj_string (first, "conversation_id"));
  /* a conversation of the e-mail channel, as the app shows it with its badge */
  g_assert_cmpstr (test_obj_string (conversation, "conversation.channel"), ==, "email");
  g_assert_cmpstr (test_obj_string (first, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (first, "sender.name"), ==, "Ann Lee");
  /* ISO-8859-1, quoted-printable: as UTF-8 */
  g_assert_cmpstr (test_obj_string (first, "body"), ==, "Where is my order 42? Grüße, Ann");
  {
    g_autoptr(JsonObject) conv = NULL;
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    g_autofree char *visitor_path = NULL;
    g_autoptr(TestResponse) visitor = NULL;

    test_assert_http_status (response, 200);
    visitor_path = g_strdup_printf ("/api/v1/visitors/%s",
                                    test_obj_string (test_response_object (response), "visitor_id"));
    visitor = test_http (world->relay, "GET", visitor_path, world->token, NULL, NULL);
    g_assert_cmpstr (test_obj_string (test_response_object (response), "channel"), ==, "email");
    test_assert_http_status (visitor, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (visitor), "channel"), ==, "email");
    g_assert_cmpstr (test_obj_string (test_response_object (visitor), "email"), ==, "ann@b.test");
    g_assert_cmpstr (test_obj_string (test_response_object (visitor), "name"), ==, "Ann Lee");
  }
  polled = wait_polled (world, box, "");
  g_assert_true (test_obj_is_null (polled, "last_error"));

  /* the agent's answer goes out threaded; its delivery is pending, then sent */
  test_agent_say (world->agent, conversation_id, "It ships tomorrow.");
  echo = test_ws_wait_for_match (world->agent, "message", "body", "It ships tomorrow.", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (echo, "delivery.status"), ==, "pending");
  g_assert_true (test_obj_is_null (echo, "delivery.error"));
  sent = test_ws_wait_for (world->agent, "delivery", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (sent, "conversation_id"), ==, conversation_id);
  g_assert_cmpint (test_obj_int (sent, "seq"), ==, test_obj_int (echo, "seq"));
  g_assert_cmpstr (test_obj_string (sent, "delivery.status"), ==, "sent");
  g_assert_true (test_obj_is_null (sent, "delivery.error"));
  g_assert_cmpint (test_obj_int (sent, "cursor"), >, test_obj_int (echo, "cursor"));
  out = mail_sink_wait_for (sink, "ann@b.test", 0, MAIL_TIMEOUT_MS);
  g_assert_nonnull (out);
  g_assert_cmpstr (mail_header (out, "In-Reply-To"), ==, "<first.42@b.test>");
  g_assert_cmpstr (mail_header (out, "References"), ==, "<first.42@b.test>");
  expected_reply_to = g_strdup_printf ("help+%s@a.test", conversation_id);
  g_assert_nonnull (strstr (mail_header (out, "Reply-To"), expected_reply_to));
  g_assert_nonnull (strstr (g_mime_message_get_subject (out), conversation_id));
  g_assert_null (mail_header (out, "Auto-Submitted"));
  text = mail_text_body (out);
  g_assert_true (g_str_has_prefix (text, "It ships tomorrow.\n"));
  out_id = g_strdup (g_mime_message_get_message_id (out));

  /* the customer answers it: the same conversation */
  reply_mail = g_strdup_printf ("From: Ann Lee <ann@b.test>\r\nTo: %s\r\nSubject: Re: %s\r\n"
                                "Message-ID: <second.42@b.test>\r\nIn-Reply-To: <%s>\r\n"
                                "References: <first.42@b.test> <%s>\r\n\r\nThank you!\r\n",
                                expected_reply_to, g_mime_message_get_subject (out), out_id, out_id);
  mail_box_deliver (box, reply_mail);
  json_object_unref (put_mailbox (world, box, NULL));
  joined = test_ws_wait_for_match (world->agent, "message", "body", "Thank you!", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (joined, "conversation_id"), ==, conversation_id);

  /* no headers, only the token in the subject, from the same sender: the same conversation;
   * the token from anyone else: a conversation of their own */
  token_mail = g_strdup_printf ("From: ann@b.test\r\nTo: help@a.test\r\nSubject: about [#%s]\r\n"
                                "Message-ID: <third.42@b.test>\r\n\r\nOne more thing.\r\n", conversation_id);
  stranger_mail = g_strdup_printf ("From: Eve <eve@evil.test>\r\nTo: help@a.test\r\nSubject: [#%s]\r\n"
                                   "Message-ID: <eve.1@evil.test>\r\n\r\nLet me in.\r\n", conversation_id);
  mail_box_deliver (box, token_mail);
  mail_box_deliver (box, stranger_mail);
  json_object_unref (put_mailbox (world, box, NULL));
  by_token = test_ws_wait_for_match (world->agent, "message", "body", "One more thing.", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (by_token, "conversation_id"), ==, conversation_id);
  stranger = test_ws_wait_for_match (world->agent, "message", "body", "Let me in.", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (stranger, "conversation_id"), !=, conversation_id);

  /* the same mail again (a crash before it was stored, or two copies) is one */
  g_ptr_array_unref (test_ws_drain (world->agent, 0));
  {
    g_autoptr(JsonObject) before = get_mailbox (world);

    last = g_strdup (test_obj_string (before, "last_polled_at"));
  }
  mail_box_deliver (box, reply_mail);
  json_object_unref (put_mailbox (world, box, NULL));
  channel = wait_polled (world, box, last);
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
  g_assert_true (test_obj_is_null (channel, "last_error"));
  /* one answer mailed, nothing else (no loop) */
  g_assert_cmpuint (mail_sink_count (sink, "ann@b.test"), ==, 1);
}

/* An agent's reply the customer's server refuses for good (550): its delivery is "failed" with
 * the server's words, live and over REST; nothing is lost of the message. A later new mail of
 * the same sender is a new conversation of the same visitor. */
static void
test_mailbox_reply_refused (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, "ann@b.test");
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) first = NULL, echo = NULL, failed = NULL, second = NULL;
  g_autofree char *path = NULL;
  const char *conversation_id;

  quiet_world (world);
  mail_box_deliver (box, "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Refused\r\n"
                         "Message-ID: <refused@b.test>\r\n\r\nAre you there?\r\n");
  json_object_unref (put_mailbox (world, box, IMAP_PASSWORD));
  first = test_ws_wait_for (world->agent, "message", MAIL_TIMEOUT_MS);
  conversation_id = test_obj_string (first, "conversation_id");

  test_agent_say (world->agent, conversation_id, "We are.");
  echo = test_ws_wait_for_match (world->agent, "message", "body", "We are.", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (echo, "delivery.status"), ==, "pending");
  failed = test_ws_wait_for (world->agent, "delivery", MAIL_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (failed, "seq"), ==, test_obj_int (echo, "seq"));
  g_assert_cmpstr (test_obj_string (failed, "delivery.status"), ==, "failed");
  g_assert_nonnull (strstr (test_obj_string (failed, "delivery.error"), "550"));
  g_assert_cmpuint (mail_sink_count (sink, "ann@b.test"), ==, 0);

  path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    JsonArray *messages;
    JsonObject *reply_object;

    test_assert_http_status (response, 200);
    messages = test_obj_array (test_response_object (response), "messages");
    g_assert_cmpuint (json_array_get_length (messages), ==, 2);
    reply_object = json_array_get_object_element (messages, 1);
    g_assert_cmpstr (test_obj_string (reply_object, "body"), ==, "We are.");
    g_assert_cmpstr (test_obj_string (reply_object, "delivery.status"), ==, "failed");
    g_assert_nonnull (strstr (test_obj_string (reply_object, "delivery.error"), "550"));
  }

  /* a new mail of the same sender (their address in other case) that answers nothing: a new
   * conversation of the e-mail channel, of the same visitor */
  mail_box_deliver (box, "From: Ann <ANN@b.test>\r\nTo: help@a.test\r\nSubject: Another thing\r\n"
                         "Message-ID: <another@b.test>\r\n\r\nA new question.\r\n");
  json_object_unref (put_mailbox (world, box, NULL));
  second = test_ws_wait_for_match (world->agent, "message", "body", "A new question.", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (second, "conversation_id"), !=, conversation_id);
  {
    g_autofree char *first_path = g_strdup_printf ("/api/v1/conversations/%s", conversation_id);
    g_autofree char *second_path = g_strdup_printf ("/api/v1/conversations/%s",
                                                    test_obj_string (second, "conversation_id"));
    g_autoptr(TestResponse) one = test_http (world->relay, "GET", first_path, world->token, NULL, NULL);
    g_autoptr(TestResponse) two = test_http (world->relay, "GET", second_path, world->token, NULL, NULL);

    test_assert_http_status (one, 200);
    test_assert_http_status (two, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (two), "channel"), ==, "email");
    g_assert_cmpstr (test_obj_string (test_response_object (two), "visitor_id"), ==,
                     test_obj_string (test_response_object (one), "visitor_id"));
  }
}

/* "Send Again" of an agent's reply the customer's server refused (550): once the server takes
 * mail for them, POST …/messages/{seq}/retry mails the same message — pending, then sent, with
 * delivery frames, no second message in the conversation. */
static void
test_mailbox_reply_retried (void)
{
  g_autoptr(MailSink) refusing = mail_sink_start (0, "ann@b.test");
  g_autoptr(MailSink) sink = NULL;
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (refusing));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) first = NULL, echo = NULL, failed = NULL, pending = NULL, sent = NULL;
  g_autoptr(GMimeMessage) mail = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  const char *conversation_id;
  guint16 port = mail_sink_port (refusing);

  quiet_world (world);
  mail_box_deliver (box, "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Again\r\n"
                         "Message-ID: <again@b.test>\r\n\r\nAre you there?\r\n");
  json_object_unref (put_mailbox (world, box, IMAP_PASSWORD));
  first = test_ws_wait_for (world->agent, "message", MAIL_TIMEOUT_MS);
  conversation_id = test_obj_string (first, "conversation_id");

  test_agent_say (world->agent, conversation_id, "We are.");
  echo = test_ws_wait_for_match (world->agent, "message", "body", "We are.", MAIL_TIMEOUT_MS);
  failed = test_ws_wait_for (world->agent, "delivery", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (failed, "delivery.status"), ==, "failed");

  /* the same port, a server that takes Ann's mail now */
  mail_sink_stop (refusing);
  sink = mail_sink_start (port, NULL);
  path = g_strdup_printf ("/api/v1/conversations/%s/messages/%" G_GINT64_FORMAT "/retry",
                          conversation_id, test_obj_int (echo, "seq"));
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "POST", path, world->token, NULL, NULL);

    test_assert_http_status (response, 200);
    g_assert_cmpstr (test_obj_string (test_response_object (response), "delivery.status"), ==, "pending");
  }
  pending = test_ws_wait_for (world->agent, "delivery", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (pending, "delivery.status"), ==, "pending");
  sent = test_ws_wait_for (world->agent, "delivery", MAIL_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (sent, "seq"), ==, test_obj_int (echo, "seq"));
  g_assert_cmpstr (test_obj_string (sent, "delivery.status"), ==, "sent");
  mail = mail_sink_wait_for (sink, "ann@b.test", 0, MAIL_TIMEOUT_MS);
  g_assert_nonnull (mail);
  text = mail_text_body (mail);
  g_assert_true (g_str_has_prefix (text, "We are."));
  /* threaded under Ann's mail (In-Reply-To names the refused copy, which is in the thread) */
  g_assert_nonnull (strstr (mail_header (mail, "References"), "<again@b.test>"));
  {
    g_autofree char *list = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", list, world->token, NULL, NULL);

    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (response), "messages")),
                      ==, 2);
  }
}

/* A mail fetched (which marks it seen) that the relay cannot store is not lost: the next poll
 * marks it unseen again and reads it once more. */
static void
test_mailbox_store_busy (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autofree char *db_path = g_build_filename (test_relay_data_dir (world->relay), "confab.db", NULL);
  g_autoptr(JsonObject) message = NULL;
  sqlite3 *db = NULL;

  /* the lock held here is SQLite's: PostgreSQL's store waits on row locks, not a file's */
  if (test_store_is_postgresql ())
    {
      test_harness_skip ("SQLite's write lock: not on the PostgreSQL store");
      return;
    }
  quiet_world (world);
  json_object_unref (put_mailbox (world, box, IMAP_PASSWORD));
  json_object_unref (wait_polled (world, box, ""));
  mail_box_deliver (box, "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Busy\r\n"
                         "Message-ID: <busy@b.test>\r\n\r\nAre you there?\r\n");
  /* another process holds the database's write lock, as a backup or an operator might, when
   * the mail is read (at once: Dovecot offers IDLE) */
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  {
    gint64 deadline = g_get_monotonic_time () + (gint64) MAIL_TIMEOUT_MS * 1000 * test_timeout_multiplier ();

    /* fetched and not stored: it stays unseen in the mailbox */
    while (stderr_count (world->relay, "a mail could not be stored") == 0)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        test_sleep_ms (50);
      }
  }
  g_assert_cmpuint (mail_box_unseen (box), ==, 1);
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  /* the next poll reads it again */
  test_sleep_ms (500);
  json_object_unref (put_mailbox (world, box, NULL));
  message = test_ws_wait_for_match (world->agent, "message", "body", "Are you there?", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (message, "sender.name"), ==, "Ann");
  /* seen once stored */
  json_object_unref (wait_polled (world, box, ""));
}

/* Bounces, auto-replies and list mail never make a conversation or a reply. */
static void
test_mailbox_no_loops (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) person = NULL, polled = NULL;

  quiet_world (world);
  mail_box_deliver (box, "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Out of office\r\n"
                         "Auto-Submitted: auto-replied\r\nMessage-ID: <ooo@b.test>\r\n\r\nI am away.\r\n");
  mail_box_deliver (box, "From: Mail Delivery System <MAILER-DAEMON@mx.b.test>\r\nTo: help@a.test\r\n"
                         "Subject: Undelivered Mail\r\nMessage-ID: <bounce@mx.b.test>\r\nMIME-Version: 1.0\r\n"
                         "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
                         "--B\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n"
                         "--B\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--B--\r\n");
  mail_box_deliver (box, "From: News <news@shop.test>\r\nTo: help@a.test\r\nSubject: Deals\r\n"
                         "Precedence: bulk\r\nMessage-ID: <deal@shop.test>\r\n\r\nBuy now.\r\n");
  mail_box_deliver (box, "From: List <list@lists.test>\r\nTo: help@a.test\r\nSubject: Digest\r\n"
                         "Precedence: list\r\nMessage-ID: <digest@lists.test>\r\n\r\nDigest.\r\n");
  mail_box_deliver (box, "From: Someone <bounces@b.test>\r\nReturn-Path: <>\r\nTo: help@a.test\r\n"
                         "Subject: Delivery Status\r\nMessage-ID: <null@b.test>\r\n\r\nNull sender.\r\n");
  /* a person's mail that says so is one */
  mail_box_deliver (box, "From: Bob <bob@b.test>\r\nTo: help@a.test\r\nSubject: Hi\r\n"
                         "Auto-Submitted: no\r\nMessage-ID: <bob@b.test>\r\n\r\nA real question.\r\n");
  json_object_unref (put_mailbox (world, box, IMAP_PASSWORD));

  person = test_ws_wait_for (world->agent, "message", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (person, "body"), ==, "A real question.");
  polled = wait_polled (world, box, "");
  test_ws_expect_none (world->agent, "message", TEST_QUIET_MS);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/conversations", world->site_id);
    g_autoptr(TestResponse) list = test_http (world->relay, "GET", path, world->token, NULL, NULL);

    test_assert_http_status (list, 200);
    g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (list), "conversations")), ==, 1);
  }
  /* nothing was mailed back to any of them */
  g_assert_cmpuint (mail_sink_total (sink), ==, 0);
}

/* HTML-only mail becomes safe text; attachments are listed, never kept. */
static void
test_mailbox_html_and_attachments (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) message = NULL;
  const char *body;

  quiet_world (world);
  mail_box_deliver (box,
                    "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Invoice\r\n"
                    "Message-ID: <html@b.test>\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed; boundary=\"M\"\r\n\r\n"
                    "--M\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                    "<html><head><style>p {color: red}</style><script>alert('x')</script></head>"
                    "<body><p>Hello &amp; welcome,</p><p>see the <b>invoice</b> &lt;attached&gt;.</p>"
                    "<img src=\"https://tracker.test/p.gif\" onerror=\"alert(1)\"></body></html>\r\n"
                    "--M\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n"
                    "Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IK\r\n--M--\r\n");
  json_object_unref (put_mailbox (world, box, IMAP_PASSWORD));
  message = test_ws_wait_for (world->agent, "message", MAIL_TIMEOUT_MS);
  body = test_obj_string (message, "body");
  g_assert_true (g_str_has_prefix (body, "Hello & welcome,\nsee the invoice <attached>."));
  g_assert_null (strstr (body, "alert"));
  g_assert_null (strstr (body, "color"));
  g_assert_null (strstr (body, "<img"));
  g_assert_nonnull (strstr (body, "Attachments (not kept):\n- invoice.pdf (application/pdf, 15 bytes)"));
}

/* A 40×30 PNG */
#define PNG_BASE64 "iVBORw0KGgoAAAANSUhEUgAAACgAAAAeCAIAAADRv8uKAAAAK0lEQVR4nO3NMQ0AAAgDsHnCE2oRhQw4mvRv" \
                   "qudExGKxWCwWi8VisVj8N15hNonLrzcw9wAAAABJRU5ErkJggg=="

/* A mail whose pictures were not all stored stays unseen and is read again after a stop
 * (kill -9): the conversation gets the pictures then, and the text still once. */
static void
test_mailbox_images_after_stop (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autoptr(GError) error = NULL;
  g_autofree char *uploads = g_dir_make_tmp ("confab-uploads-XXXXXX", &error);
  g_autofree char *away = g_strdup_printf ("%s.away", uploads);
  g_autofree char *smtp = mailbox_config (mail_sink_port (sink));
  g_autofree char *config = g_strdup_printf ("%s[uploads]\ndir=%s\n", smtp, uploads);
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) text = NULL;
  g_autofree char *messages_path = NULL;
  gint64 deadline;

  g_assert_no_error (error);
  quiet_world (world);
  json_object_unref (put_mailbox_every (world, box, IMAP_PASSWORD, 600));
  json_object_unref (wait_polled (world, box, ""));

  /* no picture can be stored: the uploads directory is a file */
  g_assert_cmpint (g_rename (uploads, away), ==, 0);
  g_assert_true (g_file_set_contents (uploads, "", 0, NULL));
  mail_box_deliver (box,
                    "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Two pictures\r\n"
                    "Message-ID: <two-pictures@b.test>\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed; boundary=\"M\"\r\n\r\n"
                    "--M\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBoth sides of the box.\r\n"
                    "--M\r\nContent-Type: image/png; name=\"front.png\"\r\n"
                    "Content-Disposition: attachment; filename=\"front.png\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n" PNG_BASE64 "\r\n"
                    "--M\r\nContent-Type: image/png; name=\"back.png\"\r\n"
                    "Content-Disposition: attachment; filename=\"back.png\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n" PNG_BASE64 "\r\n--M--\r\n");
  /* read at once: the text is stored, the pictures fail */
  json_object_unref (put_mailbox_every (world, box, NULL, 600));
  text = test_ws_wait_for_match (world->agent, "message", "body", "Both sides of the box.", MAIL_TIMEOUT_MS);
  deadline = g_get_monotonic_time () + (gint64) MAIL_TIMEOUT_MS * 1000 * test_timeout_multiplier ();
  while (stderr_count (world->relay, "was not stored (read again later)") < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      test_sleep_ms (50);
    }
  g_assert_cmpuint (mail_box_unseen (box), ==, 1);

  /* stopped hard; the pictures could be stored now */
  test_relay_kill (world->relay);
  g_assert_cmpint (g_unlink (uploads), ==, 0);
  g_assert_cmpint (g_rename (away, uploads), ==, 0);
  test_relay_start (world->relay);

  /* read again at start: the mail is seen once its pictures are stored */
  deadline = g_get_monotonic_time () + (gint64) MAIL_TIMEOUT_MS * 1000 * test_timeout_multiplier ();
  while (mail_box_unseen (box) > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      test_sleep_ms (50);
    }
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", test_obj_string (text, "conversation_id"));
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", messages_path, world->token, NULL, NULL);
    JsonArray *messages;

    test_assert_http_status (response, 200);
    messages = test_obj_array (test_response_object (response), "messages");
    g_assert_cmpuint (json_array_get_length (messages), ==, 3);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (messages, 0), "body"), ==,
                     "Both sides of the box.");
    for (guint i = 1; i < 3; i++)
      {
        JsonObject *picture = json_array_get_object_element (messages, i);

        g_assert_cmpstr (test_obj_string (picture, "sender.type"), ==, "visitor");
        g_assert_cmpstr (test_obj_string (picture, "attachment.kind"), ==, "image");
        g_assert_cmpint (test_obj_int (picture, "attachment.width"), ==, 40);
      }
  }
}

/* Images attached to a mail go through the upload checks and become the sender's messages
 * with the picture as attachment, after the text; one that is no picture of ours is said so;
 * other files stay listed. */
static void
test_mailbox_images (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(JsonObject) text = NULL, picture = NULL, broken = NULL;
  g_autofree char *upload_path = NULL, *messages_path = NULL;
  const char *body;

  quiet_world (world);
  mail_box_deliver (box,
                    "From: Ann <ann@b.test>\r\nTo: help@a.test\r\nSubject: Broken box\r\n"
                    "Message-ID: <pictures@b.test>\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed; boundary=\"M\"\r\n\r\n"
                    "--M\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe box came broken, see.\r\n"
                    "--M\r\nContent-Type: image/png; name=\"box.png\"\r\n"
                    "Content-Disposition: attachment; filename=\"box.png\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n" PNG_BASE64 "\r\n"
                    "--M\r\nContent-Type: image/jpeg; name=\"not.jpg\"\r\n"
                    "Content-Disposition: attachment; filename=\"not.jpg\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQ=\r\n"
                    "--M\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n"
                    "Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IK\r\n--M--\r\n");
  json_object_unref (put_mailbox (world, box, IMAP_PASSWORD));

  text = test_ws_wait_for (world->agent, "message", MAIL_TIMEOUT_MS);
  body = test_obj_string (text, "body");
  g_assert_true (g_str_has_prefix (body, "The box came broken, see."));
  g_assert_nonnull (strstr (body, "- invoice.pdf (application/pdf, 15 bytes)"));
  g_assert_null (strstr (body, "box.png"));
  g_assert_null (strstr (body, "not.jpg"));
  g_assert_true (test_obj_is_null (text, "attachment"));

  picture = test_ws_wait_for (world->agent, "message", MAIL_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (picture, "conversation_id"), ==, test_obj_string (text, "conversation_id"));
  g_assert_cmpstr (test_obj_string (picture, "sender.type"), ==, "visitor");
  g_assert_cmpstr (test_obj_string (picture, "sender.name"), ==, "Ann");
  g_assert_cmpstr (test_obj_string (picture, "attachment.kind"), ==, "image");
  g_assert_cmpstr (test_obj_string (picture, "attachment.mime"), ==, "image/png");
  g_assert_cmpint (test_obj_int (picture, "attachment.width"), ==, 40);
  g_assert_cmpint (test_obj_int (picture, "attachment.height"), ==, 30);

  broken = test_ws_wait_for (world->agent, "message", MAIL_TIMEOUT_MS);
  g_assert_true (g_str_has_prefix (test_obj_string (broken, "body"), "(a picture Confab could not take:"));
  g_assert_true (test_obj_is_null (broken, "attachment"));

  /* the agent can fetch the stored (re-encoded) picture, and the conversation lists it */
  upload_path = g_strdup_printf ("/api/v1/uploads/%s", test_obj_string (picture, "attachment.id"));
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", upload_path, world->token, NULL, NULL);

    test_assert_http_status (response, 200);
    g_assert_cmpstr (test_response_header (response, "Content-Type"), ==, "image/png");
  }
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", test_obj_string (text, "conversation_id"));
  {
    g_autoptr(TestResponse) response = test_http (world->relay, "GET", messages_path, world->token, NULL, NULL);
    JsonArray *messages;

    test_assert_http_status (response, 200);
    messages = test_obj_array (test_response_object (response), "messages");
    g_assert_cmpuint (json_array_get_length (messages), ==, 3);
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (messages, 1), "attachment.id"), ==,
                     test_obj_string (picture, "attachment.id"));
  }
  g_assert_cmpuint (mail_sink_total (sink), ==, 0);
}

/* The mailbox's settings: checked, the password write-only; a wrong password is the
 * mailbox's last_error, not a crash. */
static void
test_mailbox_settings (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_NO_VISITOR);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/channels/email", world->site_id);
  g_autoptr(JsonObject) empty = NULL, failed = NULL;
  struct {
    const char *body;
    const char *code;
  } bad[] = {
    { "{\"address\":\"help@a.test\",\"imap_url\":\"imap://127.0.0.1/INBOX\",\"imap_user\":\"help\"}", "invalid_value" },
    { "{\"address\":\"help\",\"imap_url\":\"imap://127.0.0.1/INBOX\",\"imap_user\":\"help\",\"imap_password\":\"x\"}", "invalid_value" },
    { "{\"address\":\"help@a.test\",\"imap_url\":\"http://127.0.0.1/INBOX\",\"imap_user\":\"help\",\"imap_password\":\"x\"}", "invalid_value" },
    { "{\"address\":\"help@a.test\",\"imap_url\":\"imap://127.0.0.1/\",\"imap_user\":\"help\",\"imap_password\":\"x\"}", "invalid_value" },
    { "{\"address\":\"help@a.test\",\"imap_url\":\"imap://u@127.0.0.1/INBOX\",\"imap_user\":\"help\",\"imap_password\":\"x\"}", "invalid_value" },
    { "{\"address\":\"help@a.test\",\"imap_url\":\"imap://127.0.0.1/INBOX\",\"imap_user\":\"help\",\"imap_password\":\"x\",\"poll_seconds\":10}", "invalid_value" },
    { "{\"address\":\"help@a.test\",\"imap_url\":\"imap://127.0.0.1/INBOX\",\"imap_user\":\"help\",\"imap_password\":\"x\",\"poll_seconds\":3601}", "invalid_value" },
    { "{\"address\":\"help@a.test\",\"imap_url\":\"imap://127.0.0.1/INBOX\",\"imap_user\":\"help\",\"imap_password\":\"x\",\"poll_seconds\":\"60\"}", "invalid_field" },
    { "{\"address\":\"help@a.test\",\"imap_url\":\"imap://127.0.0.1/INBOX\",\"imap_user\":\"help\",\"imap_password\":\"x\",\"smtp\":1}", "invalid_field" },
    { "{\"imap_url\":\"imap://127.0.0.1/INBOX\",\"imap_user\":\"help\",\"imap_password\":\"x\"}", "missing_field" },
  };

  empty = get_mailbox (world);
  g_assert_false (test_obj_bool (empty, "enabled"));
  g_assert_false (test_obj_bool (empty, "has_imap_password"));
  g_assert_true (test_obj_is_null (empty, "address"));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TestResponse) response = test_http (world->relay, "PUT", path, world->token, bad[i].body, NULL);

      if (response->status != 400 || g_strcmp0 (test_response_error_code (response), bad[i].code) != 0)
        g_error ("case %u: %u %s", i, response->status, test_response_error_code (response));
    }
  /* nothing was stored by them */
  {
    g_autoptr(JsonObject) still = get_mailbox (world);

    g_assert_true (test_obj_is_null (still, "address"));
  }

  /* the wrong password: the poll fails, and says why */
  json_object_unref (put_mailbox (world, box, "wrong password"));
  {
    gint64 deadline = g_get_monotonic_time () + (gint64) MAIL_TIMEOUT_MS * 1000 * test_timeout_multiplier ();

    for (;;)
      {
        g_autoptr(JsonObject) channel = get_mailbox (world);

        if (test_obj_has (channel, "last_error"))
          {
            failed = g_steal_pointer (&channel);
            break;
          }
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        test_sleep_ms (100);
      }
  }
  g_assert_true (test_obj_has (failed, "last_polled_at"));
  /* never the password, in the answer or the relay's log */
  {
    g_autofree char *text = test_obj_to_string (failed);
    g_autofree char *log = test_relay_get_stderr (world->relay);

    g_assert_null (strstr (text, "wrong password"));
    g_assert_null (strstr (log, "wrong password"));
    g_assert_null (strstr (log, IMAP_PASSWORD));
  }

  /* the right one, kept when a later PUT leaves it out; DELETE stops reading */
  json_object_unref (put_mailbox (world, box, IMAP_PASSWORD));
  json_object_unref (put_mailbox (world, box, NULL));
  {
    g_autoptr(JsonObject) channel = wait_polled (world, box, test_obj_string (failed, "last_polled_at"));
    g_autoptr(TestResponse) deleted = test_http (world->relay, "DELETE", path, world->token, NULL, NULL);
    g_autoptr(JsonObject) after = NULL;

    g_assert_true (test_obj_is_null (channel, "last_error"));
    g_assert_true (test_obj_bool (channel, "has_imap_password"));
    test_assert_http_status (deleted, 204);
    after = get_mailbox (world);
    g_assert_false (test_obj_bool (after, "enabled"));
  }
}

/* Issue 18: a conversation that starts from a mail is routed as a widget one: with round robin
 * on it goes at once to the agent who is online, by routing. */
static void
test_mailbox_routed (void)
{
  g_autoptr(MailSink) sink = mail_sink_start (0, NULL);
  g_autoptr(MailBox) box = mail_box_start ("help", IMAP_PASSWORD);
  g_autofree char *config = mailbox_config (mail_sink_port (sink));
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autoptr(TestResponse) settings = NULL;
  g_autoptr(JsonObject) conversation = NULL, first = NULL;
  const char *conversation_id;

  quiet_world (world);
  settings = test_http (world->relay, "PATCH", site_path, world->token,
                        "{\"settings\":{\"assignment\":\"round_robin\"}}", NULL);
  test_assert_http_status (settings, 200);
  mail_box_deliver (box, "From: Ann Lee <ann@b.test>\r\nTo: help@a.test\r\nSubject: Order 43\r\n"
                         "Message-ID: <routed.43@b.test>\r\n\r\nWhere is order 43?\r\n");
  json_object_unref (put_mailbox (world, box, IMAP_PASSWORD));

  /* agents hear of it once, already given to the owner, before its first message */
  conversation = test_ws_wait_for (world->agent, "conversation", MAIL_TIMEOUT_MS);
  first = test_ws_wait_for (world->agent, "message", MAIL_TIMEOUT_MS);
  conversation_id = test_obj_string (first, "conversation_id");
  g_assert_cmpstr (test_obj_string (conversation, "conversation.id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (conversation, "conversation.channel"), ==, "email");
  g_assert_cmpstr (test_obj_string (conversation, "conversation.assignee.id"), ==, world->user_id);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/timeline", conversation_id);
    g_autoptr(TestResponse) timeline = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    g_autofree char *text = NULL;

    test_assert_http_status (timeline, 200);
    text = test_response_text (timeline);
    g_assert_nonnull (strstr (text, "\"by\":\"routing\""));
  }
}

/* The suite is long: tests/meson.build runs it as three entries, each with --part=outgoing,
 * mailbox or idle, so that meson runs them side by side. Without --part every test is added
 * (as in the subprocess each test runs in). */
static const char *only_part;

static void
add_part (const char  *part,
          const char  *path,
          void       (*func) (void))
{
  if (only_part == NULL || g_strcmp0 (part, only_part) == 0)
    test_harness_add (path, func);
}

int
main (int    argc,
      char **argv)
{
  /* --part=NAME (tests/meson.build): one of the three shares meson runs side by side */
  for (int i = 1; i < argc; i++)
    if (g_str_has_prefix (argv[i], "--part="))
      {
        only_part = argv[i] + strlen ("--part=");
        memmove (&argv[i], &argv[i + 1], (gsize) (argc - i) * sizeof (char *));
        argc--;
        break;
      }
  if (only_part != NULL && !g_strv_contains ((const char *[]) { "outgoing", "mailbox", "idle", NULL },
                                             only_part))
    g_error ("--part must be outgoing, mailbox or idle");
  test_harness_init (&argc, &argv);

  add_part ("outgoing", "/relay/email/offline-reply", test_offline_reply);
  add_part ("outgoing", "/relay/email/offline-reply/bad-input", test_offline_reply_bad_input);
  add_part ("outgoing", "/relay/email/unavailable", test_email_unavailable);
  add_part ("outgoing", "/relay/email/smtp-down-then-back", test_smtp_down_then_back);
  add_part ("outgoing", "/relay/email/two-relays", test_two_relays);
  add_part ("outgoing", "/relay/email/smtp-refused", test_smtp_refused);
  add_part ("outgoing", "/relay/email/smtp-hung", test_smtp_hung);
  add_part ("outgoing", "/relay/email/starttls-required", test_starttls_required);
  add_part ("outgoing", "/relay/email/transcript", test_transcript);
  add_part ("outgoing", "/relay/email/notifications-opt-out", test_notifications_opt_out);
  add_part ("outgoing", "/relay/email/missed-chat", test_missed_chat);
  add_part ("outgoing", "/relay/email/bad-config", test_bad_config);
  add_part ("mailbox", "/relay/email/mailbox/round-trip", test_mailbox_round_trip);
  add_part ("mailbox", "/relay/email/mailbox/reply-refused", test_mailbox_reply_refused);
  add_part ("mailbox", "/relay/email/mailbox/reply-retried", test_mailbox_reply_retried);
  add_part ("mailbox", "/relay/email/mailbox/no-loops", test_mailbox_no_loops);
  add_part ("mailbox", "/relay/email/mailbox/store-busy", test_mailbox_store_busy);
  add_part ("mailbox", "/relay/email/mailbox/html-and-attachments", test_mailbox_html_and_attachments);
  add_part ("mailbox", "/relay/email/mailbox/images", test_mailbox_images);
  add_part ("mailbox", "/relay/email/mailbox/settings", test_mailbox_settings);
  add_part ("idle", "/relay/email/mailbox/routed", test_mailbox_routed);
  add_part ("idle", "/relay/email/mailbox/idle", test_mailbox_idle);
  add_part ("idle", "/relay/email/mailbox/idle-drop", test_mailbox_idle_drop);
  add_part ("idle", "/relay/email/mailbox/no-idle", test_mailbox_no_idle);
  add_part ("idle", "/relay/email/mailbox/images-after-stop", test_mailbox_images_after_stop);
  add_part ("idle", "/relay/email/mailbox/faq-bot", test_mailbox_faq_bot);

  return g_test_run ();
}
