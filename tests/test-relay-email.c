/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-email.c: issue 15's e-mail against real servers on loopback — an SMTP server
 * (aiosmtpd, tests/smtp-sink.py) the test starts: replies to offline messages, transcripts,
 * notifications and their opt-out, the queue surviving a down server and a relay restart, bad
 * config and bad input. */
#include "relay-harness.h"
#include "mail-harness.h"

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
  g_autoptr(TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autoptr(MailSink) sink = NULL;
  g_autoptr(JsonObject) first = NULL, pending = NULL, second = NULL, waiting = NULL, done = NULL;
  g_autoptr(GMimeMessage) mail = NULL, later = NULL;
  g_autofree char *offline_id = NULL;

  quiet_world (world);
  offline_id = leave_message (world->visitor, "\"ann@b.test\"");
  first = reply (world, offline_id, "{\"body\":\"First answer\"}", 201, NULL);
  pending = wait_reply_status (world, offline_id, 0, "pending", TRUE);
  g_assert_nonnull (strstr (test_obj_string (pending, "delivery.error"), "onnect"));

  /* back: the next attempt (5 s after the first) sends it */
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

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/email/offline-reply", test_offline_reply);
  test_harness_add ("/relay/email/offline-reply/bad-input", test_offline_reply_bad_input);
  test_harness_add ("/relay/email/unavailable", test_email_unavailable);
  test_harness_add ("/relay/email/smtp-down-then-back", test_smtp_down_then_back);
  test_harness_add ("/relay/email/smtp-refused", test_smtp_refused);
  test_harness_add ("/relay/email/transcript", test_transcript);
  test_harness_add ("/relay/email/notifications-opt-out", test_notifications_opt_out);
  test_harness_add ("/relay/email/bad-config", test_bad_config);

  return g_test_run ();
}
