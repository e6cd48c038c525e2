/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-assistant.c: the assistant (issue 16) against a real relay and a local
 * OpenAI-compatible stand-in (openai-standin.py) the test starts on a free loopback port: the
 * request the model gets (instructions, passages, model, key), the streamed answer and its
 * sources, "I don't know" without a model call, the FAQ bot when the model fails (HTTP 500, a
 * garbage stream, a timeout) with the failure counted, hand-off, quiet after an agent wrote,
 * votes, agent assist, and the key never reaching a client. */

#include "relay-harness.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>

#define API_KEY "sk-test-Zq81secretKEY"
#define REPLY   "Standard shipping takes 3 to 5 working days, says our shipping page."

/* --- the stand-in --- */

typedef struct {
  GSubprocess *process;
  guint16      port;
  char        *dir;
  char        *key_file;
} Standin;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static Standin *
standin_start (void)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "openai-standin.py", NULL);
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  Standin *standin = g_new0 (Standin, 1);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  standin->process = g_subprocess_launcher_spawn (launcher, &error, "python3", script, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (standin->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (line != NULL && g_str_has_prefix (line, "PORT "));
  standin->port = (guint16) g_ascii_strtoull (line + 5, NULL, 10);
  g_assert_cmpuint (standin->port, >, 0);

  standin->dir = g_dir_make_tmp ("confab-assistant-XXXXXX", &error);
  g_assert_no_error (error);
  standin->key_file = g_build_filename (standin->dir, "api-key", NULL);
  g_file_set_contents (standin->key_file, API_KEY "\n", -1, &error);
  g_assert_no_error (error);
  return standin;
}

static void
standin_free (Standin *standin)
{
  g_subprocess_force_exit (standin->process);
  g_subprocess_wait (standin->process, NULL, NULL);
  g_object_unref (standin->process);
  g_unlink (standin->key_file);
  g_rmdir (standin->dir);
  g_free (standin->key_file);
  g_free (standin->dir);
  g_free (standin);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Standin, standin_free)

static char *
standin_call (Standin    *standin,
              const char *method,
              const char *path,
              const char *body)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", standin->port, path);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) answer = NULL;
  g_autoptr (GError) error = NULL;

  if (body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static void
standin_mode (Standin    *standin,
              const char *mode)
{
  g_autofree char *body = g_strdup_printf ("{\"mode\":\"%s\"}", mode);
  g_autofree char *answer = standin_call (standin, "POST", "/control", body);
}

/* The completions asked for so far: [{"path","authorization","body"}]. */
static JsonArray *
standin_requests (Standin *standin)
{
  g_autofree char *text = standin_call (standin, "GET", "/requests", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}

static guint
standin_count (Standin *standin)
{
  g_autoptr (JsonArray) requests = standin_requests (standin);

  return json_array_get_length (requests);
}

/* --- the world: a relay with the assistant, a site with it on, an FAQ and an article --- */

static char *
assistant_config (Standin *standin)
{
  return g_strdup_printf ("[assistant]\n"
                          "url=http://127.0.0.1:%u/v1/chat/completions\n"
                          "model=test-model-7b\n"
                          "api-key-file=%s\n"
                          "timeout-seconds=2\n"
                          "[help]\n"
                          "public-url=https://chat.example.test\n",
                          standin->port, standin->key_file);
}

static void
patch_site (TestWorld  *world,
            const char *settings_json,
            guint       status,
            const char *code)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *body = g_strdup_printf ("{\"settings\":%s}", settings_json);
  g_autoptr (TestResponse) response = test_http (world->relay, "PATCH", path, world->token, body, NULL);

  test_assert_http_error (response, status, code);
}

static void
add_knowledge (TestWorld *world)
{
  g_autofree char *faqs = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  g_autofree char *articles = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
  g_autoptr (TestResponse) faq = NULL;
  g_autoptr (TestResponse) article = NULL;

  faq = test_http (world->relay, "POST", faqs, world->token,
                   "{\"question\":\"What are your shipping times?\","
                   "\"answer\":\"Standard shipping takes 3 to 5 working days.\","
                   "\"keywords\":[\"shipping\",\"delivery\"]}", NULL);
  test_assert_http_status (faq, 201);
  article = test_http (world->relay, "POST", articles, world->token,
                       "{\"title\":\"Shipping and delivery\",\"slug\":\"shipping\","
                       "\"body\":\"We ship worldwide. Shipping takes 3 to 5 working days in Europe.\","
                       "\"published\":true}", NULL);
  test_assert_http_status (article, 201);
}

static TestWorld *
assistant_world_full (Standin        *standin,
                      TestWorldFlags  flags)
{
  g_autofree char *config = assistant_config (standin);
  TestWorld *world = test_world_new (config, flags);

  add_knowledge (world);
  patch_site (world, "{\"assistant\":{\"enabled\":true,\"name\":\"Ava\",\"tone\":\"warm and brief\","
                     "\"instructions\":\"Always end with: Happy shopping!\"}}", 200, NULL);
  return world;
}

static TestWorld *
assistant_world (Standin *standin)
{
  return assistant_world_full (standin, TEST_WORLD_DEFAULT);
}

static void
visitor_send (TestWs     *visitor,
              const char *body,
              char      **out_conversation_id)
{
  g_autofree char *client_id = test_client_id ();
  g_autofree char *frame = g_strdup_printf ("{\"type\":\"message\",\"client_id\":\"%s\",\"body\":\"%s\"}",
                                            client_id, body);
  g_autoptr (JsonObject) ack = NULL;

  test_ws_send (visitor, frame);
  ack = test_ws_wait_for_match (visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  if (out_conversation_id != NULL)
    *out_conversation_id = g_strdup (test_obj_string (ack, "conversation_id"));
}

static JsonObject *
expect_bot (TestWs *ws,
            guint   timeout_ms)
{
  return test_ws_wait_for_match (ws, "message", "sender.type", "bot", timeout_ms);
}

/* Element @i of the array at @path, an object. */
static JsonObject *
element (JsonObject *object,
         const char *path,
         guint       i)
{
  JsonArray *array = test_obj_array (object, path);

  g_assert_cmpuint (json_array_get_length (array), >, i);
  return json_array_get_object_element (array, i);
}

static gint64
failures_total (TestRelay *relay)
{
  g_autoptr (TestResponse) response = test_http (relay, "GET", "/metrics", NULL, NULL, NULL);
  g_autofree char *text = test_response_text (response);
  const char *at;

  test_assert_http_status (response, 200);
  at = strstr (text, "\nconfab_assistant_failures_total ");
  g_assert_nonnull (at);
  return g_ascii_strtoll (at + strlen ("\nconfab_assistant_failures_total "), NULL, 10);
}

/* The site's analytics' "assistant" counter @name (today). */
static gint64
assistant_count (TestWorld  *world,
                 const char *name)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/analytics", world->site_id);
  g_autofree char *member = g_strdup_printf ("assistant.%s", name);
  g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  test_assert_http_status (response, 200);
  return test_obj_int (test_response_object (response), member);
}

static void
assert_no_key (const char *text)
{
  g_assert_null (strstr (text, API_KEY));
  g_assert_null (strstr (text, "Zq81secret"));
}

static void
assert_no_key_in_log (TestWs *ws)
{
  GPtrArray *log = test_ws_log (ws);

  for (guint i = 0; i < log->len; i++)
    assert_no_key (g_ptr_array_index (log, i));
}

/* --- tests --- */

static void
test_streams_answer (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autofree char *conversation_id = NULL;
  g_autofree char *config_path = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *messages_path = NULL;
  g_autoptr (JsonObject) delta = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) agent_copy = NULL;
  g_autoptr (JsonArray) requests = NULL;
  g_autoptr (TestResponse) config = NULL;
  g_autoptr (TestResponse) site = NULL;
  g_autoptr (TestResponse) stored = NULL;
  g_autofree char *config_text = NULL, *site_text = NULL, *stored_text = NULL;
  GPtrArray *visitor_log, *agent_log;
  JsonObject *request, *system, *last;
  JsonArray *chat, *sources;
  const char *stream_id, *prompt;
  guint deltas = 0;

  {
    g_autofree char *reply = g_strdup_printf ("{\"reply\":\"%s\"}", REPLY);
    g_autofree char *ok = standin_call (standin, "POST", "/control", reply);
  }

  visitor_send (world->visitor, "How long does shipping take?", &conversation_id);

  /* the draft streams in: the whole text so far each time */
  delta = test_ws_wait_for (world->visitor, "assistant_delta", 5000);
  g_assert_cmpstr (test_obj_string (delta, "conversation_id"), ==, conversation_id);
  stream_id = test_obj_string (delta, "stream_id");
  g_assert_true (g_str_has_prefix (REPLY, test_obj_string (delta, "text")));

  answer = expect_bot (world->visitor, 10000);
  g_assert_cmpstr (test_obj_string (answer, "body"), ==, REPLY);
  g_assert_true (test_obj_bool (answer, "assistant"));
  g_assert_cmpstr (test_obj_string (answer, "stream_id"), ==, stream_id);
  g_assert_cmpstr (test_obj_string (answer, "sender.name"), ==, "Ava");
  g_assert_cmpstr (test_obj_string (element (answer, "actions", 0), "type"), ==, "talk_to_human");
  g_assert_false (test_obj_has (answer, "faq_id"));
  sources = test_obj_array (answer, "sources");
  g_assert_cmpuint (json_array_get_length (sources), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *source = json_array_get_object_element (sources, i);

      if (g_strcmp0 (test_obj_string (source, "title"), "Shipping and delivery") == 0)
        {
          g_autofree char *url = g_strdup_printf ("https://chat.example.test/help/%s/shipping",
                                                  world->site_key);

          g_assert_cmpstr (test_obj_string (source, "url"), ==, url);
        }
      else
        {
          g_assert_cmpstr (test_obj_string (source, "title"), ==, "What are your shipping times?");
          g_assert_true (test_obj_is_null (source, "url"));
        }
    }

  /* every delta came before the message, with growing text; at least two at 120 ms a word */
  visitor_log = test_ws_log (world->visitor);
  for (guint i = 0; i < visitor_log->len; i++)
    if (strstr (g_ptr_array_index (visitor_log, i), "\"assistant_delta\"") != NULL)
      deltas++;
  g_assert_cmpuint (deltas, >=, 2);

  /* agents get the final message only */
  agent_copy = test_ws_wait_for_match (world->agent, "message", "sender.type", "bot", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (agent_copy, "stream_id"), ==, stream_id);
  agent_log = test_ws_log (world->agent);
  for (guint i = 0; i < agent_log->len; i++)
    g_assert_null (strstr (g_ptr_array_index (agent_log, i), "assistant_delta"));

  /* what the model was asked */
  requests = standin_requests (standin);
  g_assert_cmpuint (json_array_get_length (requests), ==, 1);
  request = json_array_get_object_element (requests, 0);
  g_assert_cmpstr (test_obj_string (request, "authorization"), ==, "Bearer " API_KEY);
  g_assert_cmpstr (test_obj_string (request, "body.model"), ==, "test-model-7b");
  g_assert_true (test_obj_bool (request, "body.stream"));
  chat = test_obj_array (request, "body.messages");
  system = json_array_get_object_element (chat, 0);
  g_assert_cmpstr (test_obj_string (system, "role"), ==, "system");
  prompt = test_obj_string (system, "content");
  g_assert_nonnull (strstr (prompt, "Ava"));
  g_assert_nonnull (strstr (prompt, "Site a"));
  g_assert_nonnull (strstr (prompt, "warm and brief"));
  g_assert_nonnull (strstr (prompt, "Always end with: Happy shopping!"));
  g_assert_nonnull (strstr (prompt, "only from the numbered passages"));
  g_assert_nonnull (strstr (prompt, "Never invent prices"));
  g_assert_nonnull (strstr (prompt, "] What are your shipping times?\nStandard shipping takes 3 to 5 working days."));
  g_assert_nonnull (strstr (prompt, "] Shipping and delivery\nWe ship worldwide."));
  last = json_array_get_object_element (chat, json_array_get_length (chat) - 1);
  g_assert_cmpstr (test_obj_string (last, "role"), ==, "user");
  g_assert_cmpstr (test_obj_string (last, "content"), ==, "How long does shipping take?");

  /* stored with its sources */
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  stored = test_http (world->relay, "GET", messages_path, world->token, NULL, NULL);
  test_assert_http_status (stored, 200);
  stored_text = test_response_text (stored);
  g_assert_nonnull (strstr (stored_text, "\"assistant\":true"));
  g_assert_nonnull (strstr (stored_text, "\"sources\":[{"));

  /* the site says the relay has one; the widget gets the name, not the instructions */
  site = test_http (world->relay, "GET", site_path, world->token, NULL, NULL);
  test_assert_http_status (site, 200);
  g_assert_true (test_obj_bool (test_response_object (site), "assistant_available"));
  config = test_http (world->relay, "GET", config_path, NULL, NULL, NULL);
  test_assert_http_status (config, 200);
  g_assert_true (test_obj_bool (test_response_object (config), "assistant.enabled"));
  g_assert_cmpstr (test_obj_string (test_response_object (config), "assistant.name"), ==, "Ava");
  config_text = test_response_text (config);
  g_assert_null (strstr (config_text, "Happy shopping"));
  g_assert_null (strstr (config_text, "warm and brief"));

  /* the key never reaches a client */
  site_text = test_response_text (site);
  assert_no_key (site_text);
  assert_no_key (config_text);
  assert_no_key (stored_text);
  assert_no_key_in_log (world->visitor);
  assert_no_key_in_log (world->agent);
  {
    g_autofree char *log = test_relay_get_stderr (world->relay);
    assert_no_key (log);
  }
}

static void
test_no_hit_no_call (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autoptr (JsonObject) answer = NULL;

  visitor_send (world->visitor, "Can I pay with seashells on Jupiter?", NULL);
  answer = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  g_assert_nonnull (strstr (test_obj_string (answer, "body"), "don't know"));
  g_assert_true (test_obj_bool (answer, "assistant"));
  g_assert_cmpstr (test_obj_string (element (answer, "actions", 0), "type"), ==, "talk_to_human");
  g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "sources")), ==, 0);
  g_assert_false (test_obj_has (answer, "stream_id"));
  test_ws_expect_none (world->visitor, "assistant_delta", TEST_QUIET_MS);
  g_assert_cmpuint (standin_count (standin), ==, 0);
  g_assert_cmpint (assistant_count (world, "unknown"), ==, 1);
  g_assert_cmpint (assistant_count (world, "answers"), ==, 0);
}

/* --- no one to take over: the e-mail asked for --- */

/* The "type" of each of @message's actions, joined by commas. */
static char *
action_types (JsonObject *message)
{
  JsonArray *actions = test_obj_array (message, "actions");
  g_autoptr (GString) types = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (actions); i++)
    {
      JsonObject *action = json_array_get_object_element (actions, i);

      if (i > 0)
        g_string_append_c (types, ',');
      g_string_append (types, test_obj_string (action, "type"));
      g_assert_cmpuint (strlen (test_obj_string (action, "label")), >, 0);
    }
  return g_strdup (types->str);
}

/* Another tab of the world's visitor, whose hello gives @email (its welcome or error follow). */
static TestWs *
hello_with_email (TestWorld  *world,
                  const char *email)
{
  TestWs *tab = test_ws_widget (world->relay, world->site_key);

  test_ws_sendf (tab, "{'type':'hello','visitor_id':'%s','visitor_token':'%s','email':'%s',"
                      "'page':{'url':'https://a.test/','title':'Test page','referrer':''}}",
                 world->visitor_id, world->visitor_token, email);
  return tab;
}

static JsonObject *
get_visitor (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/visitors/%s", world->visitor_id);
  g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_response_object (response));
}

/* @ask is the bot's notice that nobody can take over, as the visitor got it: a plain bot message
 * under @name with the e-mail field, no answer of the assistant (no label, no sources, no faq_id),
 * so nothing to vote on; the agents read it so from the store too. */
static void
assert_nobody_notice (TestWorld  *world,
                      JsonObject *ask,
                      const char *name)
{
  g_autofree char *types = action_types (ask);
  g_autofree char *vote = NULL;
  g_autofree char *path = NULL;
  g_autoptr (JsonObject) error = NULL;
  g_autoptr (TestResponse) stored = NULL;
  JsonArray *messages;
  JsonObject *copy = NULL;

  g_assert_cmpstr (test_obj_string (ask, "body"), ==, "Nobody of the team is available right now.");
  g_assert_cmpstr (test_obj_string (ask, "sender.type"), ==, "bot");
  g_assert_cmpstr (test_obj_string (ask, "sender.name"), ==, name);
  g_assert_cmpstr (types, ==, "ask_email");
  g_assert_false (test_obj_has (ask, "assistant"));
  g_assert_false (test_obj_has (ask, "sources"));
  g_assert_false (test_obj_has (ask, "faq_id"));
  g_assert_false (test_obj_has (ask, "stream_id"));

  /* no vote on it: it answered nothing */
  vote = g_strdup_printf ("{\"type\":\"faq_feedback\",\"seq\":%" G_GINT64_FORMAT ",\"helpful\":true}",
                          test_obj_int (ask, "seq"));
  test_ws_send (world->visitor, vote);
  error = test_ws_expect_error (world->visitor, "not_found", TEST_TIMEOUT_MS);

  /* read again (json-glib's message, where the frame was hand-built): the same */
  path = g_strdup_printf ("/api/v1/conversations/%s/messages", test_obj_string (ask, "conversation_id"));
  stored = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (stored, 200);
  messages = test_obj_array (test_response_object (stored), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);

      if (test_obj_int (message, "seq") == test_obj_int (ask, "seq"))
        copy = message;
    }
  g_assert_nonnull (copy);
  {
    g_autofree char *copy_types = action_types (copy);

    g_assert_cmpstr (copy_types, ==, "ask_email");
    g_assert_cmpstr (test_obj_string (copy, "sender.name"), ==, name);
    g_assert_false (test_obj_has (copy, "assistant"));
    g_assert_false (test_obj_has (copy, "sources"));
    g_assert_false (test_obj_has (copy, "vote"));
  }
}

/* Nobody of the team online: "I don't know" says so and asks for an e-mail instead of offering
 * a person; a bad address is refused, a good one lands on the visitor for the agents (with the
 * lead score counting it) and the conversation stays open, waiting for their reply. */
static void
test_ask_email_nobody_online (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world_full (standin, TEST_WORLD_NO_AGENT);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) before = NULL;
  g_autoptr (JsonObject) after = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) error = NULL;
  g_autoptr (JsonObject) event = NULL;
  g_autoptr (TestWs) agent = NULL;
  g_autoptr (TestWs) bad_tab = NULL;
  g_autoptr (TestWs) good_tab = NULL;
  g_autofree char *types = NULL;
  g_autofree char *conversation_id = NULL;

  visitor_send (world->visitor, "Can I pay with seashells on Jupiter?", &conversation_id);
  answer = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  g_assert_true (test_obj_bool (answer, "assistant"));
  g_assert_nonnull (strstr (test_obj_string (answer, "body"), "don't know"));
  g_assert_nonnull (strstr (test_obj_string (answer, "body"), "nobody of the team is available"));
  types = action_types (answer);
  g_assert_cmpstr (types, ==, "ask_email");
  g_assert_cmpint (assistant_count (world, "unknown"), ==, 1);

  /* the agents, who come later, see what the visitor leaves */
  agent = test_ws_agent (world->relay, world->token);
  test_agent_subscribe (agent, 0, NULL);
  before = get_visitor (world);
  g_assert_true (test_obj_is_null (before, "email"));

  bad_tab = hello_with_email (world, "not an address");
  error = test_ws_expect_error (bad_tab, "invalid_value", TEST_TIMEOUT_MS);
  g_assert_nonnull (strstr (test_obj_string (error, "message"), "e-mail"));

  good_tab = hello_with_email (world, "ada@example.test");
  welcome = test_ws_wait_for (good_tab, "welcome", TEST_TIMEOUT_MS);
  event = test_ws_wait_for_match (agent, "visitor", "visitor.email", "ada@example.test", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (event, "visitor.id"), ==, world->visitor_id);
  after = get_visitor (world);
  g_assert_cmpstr (test_obj_string (after, "email"), ==, "ada@example.test");
  /* a known e-mail is worth 10 (confab_lead_score ()) */
  g_assert_cmpint (test_obj_int (after, "lead_score"), >=, test_obj_int (before, "lead_score") + 10);
  g_assert_cmpstr (test_obj_string (element (after, "conversations", 0), "id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (element (after, "conversations", 0), "status"), ==, "open");
  /* the address went to the contact, never into the conversation */
  test_ws_expect_none (agent, "message", TEST_QUIET_MS);
}

/* An agent online: "I don't know" offers a person, no e-mail asked for; asking for one adds
 * only the system note. */
static void
test_no_ask_agent_online (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) note = NULL;
  g_autoptr (JsonObject) ask = NULL;
  g_autofree char *types = NULL;

  visitor_send (world->visitor, "Can I pay with seashells on Jupiter?", NULL);
  answer = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  types = action_types (answer);
  g_assert_cmpstr (types, ==, "talk_to_human");
  g_assert_cmpstr (test_obj_string (answer, "body"), ==,
                   "I'm sorry, I don't know the answer to that. Would you like to talk to a person?");

  test_ws_send (world->visitor, "{\"type\":\"talk_to_human\"}");
  note = test_ws_wait_for_match (world->visitor, "message", "sender.type", "system", TEST_TIMEOUT_MS);
  ask = test_ws_find_match (world->visitor, "message", "sender.type", "bot", TEST_QUIET_MS);
  g_assert_null (ask);
}

/* Nobody online and the visitor asks for a person: the request is stored, and a bot says nobody
 * is there and asks for an e-mail — once, and not of a visitor whose e-mail is known. */
static void
test_ask_email_on_handoff (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world_full (standin, TEST_WORLD_NO_AGENT);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) note = NULL;
  g_autoptr (JsonObject) ask = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autofree char *types = NULL;

  standin_mode (standin, "fast");
  visitor_send (world->visitor, "How long does shipping take?", NULL);
  answer = expect_bot (world->visitor, 10000);
  /* an answer: the person stays on offer */
  types = action_types (answer);
  g_assert_cmpstr (types, ==, "talk_to_human");

  test_ws_send (world->visitor, "{\"type\":\"talk_to_human\"}");
  note = test_ws_wait_for_match (world->visitor, "message", "sender.type", "system", TEST_TIMEOUT_MS);
  ask = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (ask, "seq"), >, test_obj_int (note, "seq"));
  /* the bot the visitor knows, but no answer of it */
  assert_nobody_notice (world, ask, "Ava");
  g_assert_cmpint (assistant_count (world, "handoffs"), ==, 1);

  /* asked before: nothing more */
  test_ws_send (world->visitor, "{\"type\":\"talk_to_human\"}");
  again = test_ws_find_match (world->visitor, "message", "sender.type", "bot", TEST_QUIET_MS);
  g_assert_null (again);
}

/* A site with only the FAQ bot (no assistant on this relay): asking for a person when nobody can
 * take over gets the same notice, from the FAQ bot's name. */
static void
test_ask_email_faq_only (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) note = NULL;
  g_autoptr (JsonObject) ask = NULL;

  add_knowledge (world);
  visitor_send (world->visitor, "How long does shipping take?", NULL);
  answer = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  g_assert_true (test_obj_has (answer, "faq_id"));
  g_assert_false (test_obj_has (answer, "assistant"));

  test_ws_send (world->visitor, "{\"type\":\"talk_to_human\"}");
  note = test_ws_wait_for_match (world->visitor, "message", "sender.type", "system", TEST_TIMEOUT_MS);
  ask = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (ask, "seq"), >, test_obj_int (note, "seq"));
  assert_nobody_notice (world, ask, "Site a assistant");
}

/* The visitor's e-mail is known: nobody online, and still no ask. */
static void
test_no_ask_email_known (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world_full (standin, TEST_WORLD_NO_AGENT);
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (TestWs) tab = NULL;
  g_autofree char *types = NULL;

  tab = hello_with_email (world, "ada@example.test");
  welcome = test_ws_wait_for (tab, "welcome", TEST_TIMEOUT_MS);
  visitor_send (world->visitor, "Can I pay with seashells on Jupiter?", NULL);
  answer = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  types = action_types (answer);
  g_assert_cmpstr (types, ==, "talk_to_human");
}

/* An agent online, but outside the site's working hours: the e-mail is asked for. */
static void
test_ask_email_outside_hours (void)
{
  static const char * const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) later = g_date_time_add_days (now, 2);
  g_autofree char *settings = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autofree char *types = NULL;

  /* open one hour, the day after tomorrow */
  settings = g_strdup_printf ("{\"working_hours\":{\"timezone\":\"UTC\",\"days\":{\"%s\":[\"10:00-11:00\"]}}}",
                              days[g_date_time_get_day_of_week (later) - 1]);
  patch_site (world, settings, 200, NULL);
  visitor_send (world->visitor, "Can I pay with seashells on Jupiter?", NULL);
  answer = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  types = action_types (answer);
  g_assert_cmpstr (types, ==, "ask_email");
}

/* The model fails as @mode says: the FAQ bot answers instead, and the failure is counted. */
static void
check_fallback (const char *mode)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) error = NULL;
  gint64 before = failures_total (world->relay);

  standin_mode (standin, mode);
  visitor_send (world->visitor, "How long does shipping take?", NULL);
  answer = expect_bot (world->visitor, 10000);
  /* the FAQ bot's answer: its FAQ, no assistant */
  g_assert_true (test_obj_has (answer, "faq_id"));
  g_assert_false (test_obj_has (answer, "assistant"));
  g_assert_cmpstr (test_obj_string (answer, "body"), ==, "Standard shipping takes 3 to 5 working days.");
  g_assert_cmpint (failures_total (world->relay), ==, before + 1);
  g_assert_cmpint (assistant_count (world, "failures"), ==, 1);
  g_assert_cmpint (assistant_count (world, "answers"), ==, 0);
  g_assert_cmpuint (standin_count (standin), ==, 1);
  /* never an error to the visitor */
  error = test_ws_find (world->visitor, "error", TEST_QUIET_MS);
  g_assert_null (error);
}

static void
test_fallback_http_error (void)
{
  check_fallback ("error");
}

static void
test_fallback_garbage (void)
{
  check_fallback ("garbage");
}

static void
test_fallback_timeout (void)
{
  check_fallback ("hang");
}

static void
test_handoff (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) note = NULL;
  g_autoptr (JsonObject) again = NULL;

  standin_mode (standin, "fast");
  visitor_send (world->visitor, "How long does shipping take?", NULL);
  answer = expect_bot (world->visitor, 10000);
  g_assert_true (test_obj_bool (answer, "assistant"));

  test_ws_send (world->visitor, "{\"type\":\"talk_to_human\"}");
  note = test_ws_wait_for_match (world->visitor, "message", "sender.type", "system", TEST_TIMEOUT_MS);

  visitor_send (world->visitor, "And how long does delivery to Norway take?", NULL);
  again = test_ws_find_match (world->visitor, "message", "sender.type", "bot", 1500);
  g_assert_null (again);
  g_assert_cmpuint (standin_count (standin), ==, 1);
  g_assert_cmpint (assistant_count (world, "answers"), ==, 1);
  g_assert_cmpint (assistant_count (world, "handoffs"), ==, 1);
}

static void
test_quiet_after_agent (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autofree char *conversation_id = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) again = NULL;

  standin_mode (standin, "fast");
  visitor_send (world->visitor, "Hello there, anyone?", &conversation_id);
  /* small talk finds nothing: "I don't know" without a call */
  answer = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  test_agent_say (world->agent, conversation_id, "Hi, I am Sam. How can I help?");

  visitor_send (world->visitor, "How long does shipping take?", NULL);
  again = test_ws_find_match (world->visitor, "message", "sender.type", "bot", 1500);
  g_assert_null (again);
  test_ws_expect_none (world->visitor, "assistant_delta", TEST_QUIET_MS);
  g_assert_cmpuint (standin_count (standin), ==, 0);
}

/* --- a draft dropped mid-stream is retracted --- */

#define LONG_REPLY "Standard shipping takes 3 to 5 working days in Europe and up to two weeks " \
                   "elsewhere, and every parcel is tracked from our warehouse to your door."

/* The assistant streams a long answer to the visitor: returns its first delta's stream_id. */
static char *
start_draft (Standin    *standin,
             TestWorld  *world,
             const char *mode,
             char      **out_conversation_id)
{
  g_autofree char *control = g_strdup_printf ("{\"mode\":\"%s\",\"reply\":\"%s\"}", mode, LONG_REPLY);
  g_autofree char *ok = standin_call (standin, "POST", "/control", control);
  g_autoptr (JsonObject) delta = NULL;

  visitor_send (world->visitor, "How long does shipping take?", out_conversation_id);
  delta = test_ws_wait_for (world->visitor, "assistant_delta", 5000);
  return g_strdup (test_obj_string (delta, "stream_id"));
}

/* The visitor got assistant_cancel for @stream_id, and no delta of it after that. */
static void
expect_retracted (TestWs     *visitor,
                  const char *conversation_id,
                  const char *stream_id)
{
  g_autoptr (JsonObject) cancel = test_ws_wait_for_match (visitor, "assistant_cancel", "stream_id",
                                                          stream_id, 5000);
  GPtrArray *log;
  gboolean after = FALSE;

  g_assert_cmpstr (test_obj_string (cancel, "conversation_id"), ==, conversation_id);
  test_sleep_ms (TEST_QUIET_MS);
  log = test_ws_log (visitor);
  for (guint i = 0; i < log->len; i++)
    {
      const char *text = g_ptr_array_index (log, i);

      if (strstr (text, "\"assistant_cancel\"") != NULL && strstr (text, stream_id) != NULL)
        after = TRUE;
      else if (after && strstr (text, "\"assistant_delta\"") != NULL)
        g_assert_null (strstr (text, stream_id));
    }
  g_assert_true (after);
}

static void
test_retract_agent_joined (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autofree char *conversation_id = NULL;
  g_autofree char *stream_id = start_draft (standin, world, "stream", &conversation_id);
  g_autoptr (JsonObject) answer = NULL;

  test_agent_say (world->agent, conversation_id, "Hi, I am Sam, let me check that for you.");
  expect_retracted (world->visitor, conversation_id, stream_id);
  /* and the assistant's answer is never stored */
  answer = test_ws_find_match (world->visitor, "message", "sender.type", "bot", 3000);
  g_assert_null (answer);
  g_assert_cmpint (assistant_count (world, "answers"), ==, 0);
}

static void
test_retract_visitor_wrote_again (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autofree char *conversation_id = NULL;
  g_autofree char *stream_id = start_draft (standin, world, "stream", &conversation_id);
  g_autoptr (JsonObject) answer = NULL;

  standin_mode (standin, "fast");
  visitor_send (world->visitor, "And how long does delivery to Norway take?", NULL);
  expect_retracted (world->visitor, conversation_id, stream_id);
  /* the newer message is answered, under another stream */
  answer = expect_bot (world->visitor, 10000);
  g_assert_true (test_obj_bool (answer, "assistant"));
  g_assert_cmpstr (test_obj_string (answer, "stream_id"), !=, stream_id);
}

static void
test_retract_failed (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autofree char *conversation_id = NULL;
  g_autofree char *stream_id = start_draft (standin, world, "cut", &conversation_id);
  g_autoptr (JsonObject) answer = NULL;

  expect_retracted (world->visitor, conversation_id, stream_id);
  /* the FAQ bot answers instead */
  answer = expect_bot (world->visitor, 10000);
  g_assert_true (test_obj_has (answer, "faq_id"));
  g_assert_false (test_obj_has (answer, "assistant"));
}

static void
test_vote (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) recorded = NULL;
  g_autoptr (JsonObject) error = NULL;
  g_autofree char *vote = NULL;
  g_autofree char *bad = NULL;
  gint64 seq;

  standin_mode (standin, "fast");
  visitor_send (world->visitor, "How long does shipping take?", NULL);
  answer = expect_bot (world->visitor, 10000);
  seq = test_obj_int (answer, "seq");

  vote = g_strdup_printf ("{\"type\":\"faq_feedback\",\"seq\":%" G_GINT64_FORMAT ",\"helpful\":true}", seq);
  test_ws_send (world->visitor, vote);
  recorded = test_ws_wait_for (world->visitor, "faq_feedback_recorded", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (recorded, "seq"), ==, seq);
  g_assert_true (test_obj_bool (recorded, "helpful"));
  g_assert_cmpint (assistant_count (world, "helpful"), ==, 1);
  /* changing one's mind replaces the vote */
  g_clear_pointer (&recorded, json_object_unref);
  g_free (vote);
  vote = g_strdup_printf ("{\"type\":\"faq_feedback\",\"seq\":%" G_GINT64_FORMAT ",\"helpful\":false}", seq);
  test_ws_send (world->visitor, vote);
  recorded = test_ws_wait_for (world->visitor, "faq_feedback_recorded", TEST_TIMEOUT_MS);
  g_assert_false (test_obj_bool (recorded, "helpful"));
  g_assert_cmpint (assistant_count (world, "helpful"), ==, 0);
  g_assert_cmpint (assistant_count (world, "unhelpful"), ==, 1);

  /* the visitor's own message is no assistant answer */
  bad = g_strdup_printf ("{\"type\":\"faq_feedback\",\"seq\":%" G_GINT64_FORMAT ",\"helpful\":false}", seq - 1);
  test_ws_send (world->visitor, bad);
  error = test_ws_expect_error (world->visitor, "not_found", TEST_TIMEOUT_MS);
}

/* The message read again carries the visitor's vote on it; @vote NULL: none. */
static void
assert_resumed_vote (TestWorld  *world,
                     gint64      seq,
                     const char *vote)
{
  g_autoptr (TestWs) tab = test_ws_widget (world->relay, world->site_key);
  g_autoptr (JsonObject) welcome = test_visitor_hello (tab, world->visitor_id, world->visitor_token,
                                                       "https://a.test/");
  g_autoptr (JsonObject) message = NULL;

  test_ws_set_name (tab, "the visitor, reloaded");
  test_ws_send (tab, "{\"type\":\"resume\",\"after_seq\":0}");
  do
    {
      g_clear_pointer (&message, json_object_unref);
      message = test_ws_wait_for (tab, "message", TEST_TIMEOUT_MS);
    }
  while (test_obj_int (message, "seq") != seq);
  if (vote != NULL)
    g_assert_cmpstr (test_obj_string (message, "vote"), ==, vote);
  else
    g_assert_false (test_obj_has (message, "vote"));
}

/* A vote is the relay's: a reload, another tab and the agents see it, a changed one replaces
 * it (counted once), for the assistant's answers and the FAQ bot's. */
static void
test_vote_read_back (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autoptr (TestWs) other_tab = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) faq_answer = NULL;
  g_autoptr (JsonObject) heard = NULL;
  g_autoptr (TestResponse) stored = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *vote = NULL;
  g_autofree char *messages_path = NULL;
  g_autofree char *stored_text = NULL;
  gint64 seq, faq_seq;

  standin_mode (standin, "fast");
  visitor_send (world->visitor, "How long does shipping take?", &conversation_id);
  answer = expect_bot (world->visitor, 10000);
  seq = test_obj_int (answer, "seq");
  g_assert_false (test_obj_has (answer, "vote"));
  assert_resumed_vote (world, seq, NULL);

  /* a second tab of the visitor hears the vote made in the first */
  other_tab = test_ws_widget (world->relay, world->site_key);
  test_ws_set_name (other_tab, "the visitor's other tab");
  welcome = test_visitor_hello (other_tab, world->visitor_id, world->visitor_token, "https://a.test/");
  vote = g_strdup_printf ("{\"type\":\"faq_feedback\",\"seq\":%" G_GINT64_FORMAT ",\"helpful\":true}", seq);
  test_ws_send (world->visitor, vote);
  heard = test_ws_wait_for (other_tab, "faq_feedback_recorded", TEST_TIMEOUT_MS);
  g_assert_cmpint (test_obj_int (heard, "seq"), ==, seq);
  g_assert_true (test_obj_bool (heard, "helpful"));
  g_assert_cmpstr (test_obj_string (heard, "conversation_id"), ==, conversation_id);
  g_clear_pointer (&heard, json_object_unref);
  heard = test_ws_wait_for (world->visitor, "faq_feedback_recorded", TEST_TIMEOUT_MS);
  g_assert_true (test_obj_bool (heard, "helpful"));
  assert_resumed_vote (world, seq, "up");

  /* changed: the new vote replaces the old one everywhere, and counts once */
  g_free (vote);
  vote = g_strdup_printf ("{\"type\":\"faq_feedback\",\"seq\":%" G_GINT64_FORMAT ",\"helpful\":false}", seq);
  test_ws_send (other_tab, vote);
  g_clear_pointer (&heard, json_object_unref);
  heard = test_ws_wait_for (world->visitor, "faq_feedback_recorded", TEST_TIMEOUT_MS);
  g_assert_false (test_obj_bool (heard, "helpful"));
  assert_resumed_vote (world, seq, "down");
  g_assert_cmpint (assistant_count (world, "helpful"), ==, 0);
  g_assert_cmpint (assistant_count (world, "unhelpful"), ==, 1);

  /* the agents read it with the message */
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  stored = test_http (world->relay, "GET", messages_path, world->token, NULL, NULL);
  test_assert_http_status (stored, 200);
  stored_text = test_response_text (stored);
  g_assert_nonnull (strstr (stored_text, "\"vote\":\"down\""));

  /* the FAQ bot's answer, voted on by its FAQ */
  patch_site (world, "{\"assistant\":{\"enabled\":false}}", 200, NULL);
  visitor_send (world->visitor, "What are your shipping times?", NULL);
  faq_answer = test_ws_wait_for_match (world->visitor, "message", "sender.type", "bot", 10000);
  while (!test_obj_has (faq_answer, "faq_id"))
    {
      g_clear_pointer (&faq_answer, json_object_unref);
      faq_answer = test_ws_wait_for_match (world->visitor, "message", "sender.type", "bot", 10000);
    }
  faq_seq = test_obj_int (faq_answer, "seq");
  g_free (vote);
  vote = g_strdup_printf ("{\"type\":\"faq_feedback\",\"faq_id\":\"%s\",\"helpful\":true}",
                          test_obj_string (faq_answer, "faq_id"));
  test_ws_send (world->visitor, vote);
  g_clear_pointer (&heard, json_object_unref);
  heard = test_ws_wait_for_match (other_tab, "faq_feedback_recorded", "faq_id",
                                  test_obj_string (faq_answer, "faq_id"), TEST_TIMEOUT_MS);
  assert_resumed_vote (world, faq_seq, "up");
  /* the assistant's answer kept its own */
  assert_resumed_vote (world, seq, "down");
}

static void
test_agent_assist (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autofree char *conversation_id = NULL;
  g_autofree char *suggest_path = NULL, *summary_path = NULL;
  g_autoptr (TestResponse) suggested = NULL;
  g_autoptr (TestResponse) summary = NULL;
  g_autoptr (JsonArray) requests = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autofree char *suggested_text = NULL;
  JsonObject *request;
  const char *transcript;

  standin_mode (standin, "fast");
  patch_site (world, "{\"assistant\":{\"enabled\":false}}", 200, NULL);
  visitor_send (world->visitor, "How long does shipping take?", &conversation_id);
  /* the assistant is off for visitors: the FAQ bot answers */
  answer = expect_bot (world->visitor, TEST_TIMEOUT_MS);
  g_assert_true (test_obj_has (answer, "faq_id"));
  g_assert_cmpuint (standin_count (standin), ==, 0);

  suggest_path = g_strdup_printf ("/api/v1/conversations/%s/suggest-reply", conversation_id);
  suggested = test_http (world->relay, "POST", suggest_path, world->token, NULL, NULL);
  test_assert_http_status (suggested, 200);
  g_assert_cmpstr (test_obj_string (test_response_object (suggested), "body"), ==,
                   "Standard shipping takes 3 to 5 working days.");
  g_assert_cmpuint (json_array_get_length (test_obj_array (test_response_object (suggested), "sources")), ==, 2);
  suggested_text = test_response_text (suggested);
  assert_no_key (suggested_text);

  summary_path = g_strdup_printf ("/api/v1/conversations/%s/summary", conversation_id);
  summary = test_http (world->relay, "POST", summary_path, world->token, NULL, NULL);
  test_assert_http_status (summary, 200);
  g_assert_cmpstr (test_obj_string (test_response_object (summary), "summary"), ==,
                   "Standard shipping takes 3 to 5 working days.");

  requests = standin_requests (standin);
  g_assert_cmpuint (json_array_get_length (requests), ==, 2);
  request = json_array_get_object_element (requests, 0);
  g_assert_cmpstr (test_obj_string (request, "authorization"), ==, "Bearer " API_KEY);
  g_assert_nonnull (strstr (test_obj_string (element (request, "body.messages", 0), "content"), "] What are your shipping times?"));
  transcript = test_obj_string (element (request, "body.messages", 1), "content");
  g_assert_nonnull (strstr (transcript, "Visitor: How long does shipping take?"));
  request = json_array_get_object_element (requests, 1);
  g_assert_nonnull (strstr (test_obj_string (element (request, "body.messages", 0), "content"), "one paragraph"));

  /* the model failing: 502; too slow: 504 */
  standin_mode (standin, "error");
  {
    g_autoptr (TestResponse) failed = test_http (world->relay, "POST", summary_path, world->token, NULL, NULL);
    test_assert_http_error (failed, 502, "assistant_failed");
  }
  standin_mode (standin, "hang");
  {
    g_autoptr (TestResponse) slow = test_http (world->relay, "POST", suggest_path, world->token, NULL, NULL);
    test_assert_http_error (slow, 504, "assistant_timeout");
  }
  /* GET is no way to ask */
  {
    g_autoptr (TestResponse) get = test_http (world->relay, "GET", summary_path, world->token, NULL, NULL);
    test_assert_http_status (get, 405);
  }
}

static void
test_assist_rate_limited (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autoptr (TestWorld) world = assistant_world (standin);
  g_autofree char *conversation_id = NULL;
  g_autofree char *path = NULL;
  guint ok = 0;
  gboolean limited = FALSE;

  standin_mode (standin, "fast");
  patch_site (world, "{\"assistant\":{\"enabled\":false}}", 200, NULL);
  visitor_send (world->visitor, "Hello", &conversation_id);
  path = g_strdup_printf ("/api/v1/conversations/%s/summary", conversation_id);
  for (guint i = 0; i < 40 && !limited; i++)
    {
      g_autoptr (TestResponse) response = test_http (world->relay, "POST", path, world->token, NULL, NULL);

      if (response->status == 429)
        {
          g_assert_cmpstr (test_response_error_code (response), ==, "rate_limited");
          g_assert_nonnull (test_response_header (response, "Retry-After"));
          limited = TRUE;
        }
      else
        {
          test_assert_http_status (response, 200);
          ok++;
        }
    }
  g_assert_true (limited);
  g_assert_cmpuint (ok, ==, 20);
  g_assert_cmpuint (standin_count (standin), ==, 20);
}

static void
test_unavailable (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *config_path = g_strdup_printf ("/api/v1/widget/config?site_key=%s", world->site_key);
  g_autoptr (TestResponse) response = NULL;
  g_autoptr (TestResponse) site = NULL;
  g_autoptr (TestResponse) config = NULL;

  add_knowledge (world);
  /* a site may turn it on before the relay has one: nothing changes for its visitors */
  patch_site (world, "{\"assistant\":{\"enabled\":true}}", 200, NULL);
  site = test_http (world->relay, "GET", site_path, world->token, NULL, NULL);
  g_assert_false (test_obj_bool (test_response_object (site), "assistant_available"));
  config = test_http (world->relay, "GET", config_path, NULL, NULL, NULL);
  g_assert_false (test_obj_bool (test_response_object (config), "assistant.enabled"));
  g_assert_cmpstr (test_obj_string (test_response_object (config), "assistant.name"), ==, "Assistant");

  visitor_send (world->visitor, "How long does shipping take?", &conversation_id);
  {
    g_autoptr (JsonObject) answer = expect_bot (world->visitor, TEST_TIMEOUT_MS);
    g_assert_true (test_obj_has (answer, "faq_id"));
  }
  path = g_strdup_printf ("/api/v1/conversations/%s/suggest-reply", conversation_id);
  response = test_http (world->relay, "POST", path, world->token, NULL, NULL);
  test_assert_http_error (response, 503, "assistant_unavailable");
}

static void
test_settings_checked (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_VISITOR | TEST_WORLD_NO_AGENT);
  g_autofree char *long_name = g_strnfill (61, 'n');
  g_autofree char *settings = g_strdup_printf ("{\"assistant\":{\"name\":\"%s\"}}", long_name);

  patch_site (world, settings, 400, "invalid_value");
  patch_site (world, "{\"assistant\":{\"enabled\":\"yes\"}}", 400, "invalid_value");
  patch_site (world, "{\"assistant\":{\"colour\":\"red\"}}", 400, "invalid_value");
  patch_site (world, "{\"assistant\":true}", 400, NULL);
  patch_site (world, "{\"assistant\":{\"enabled\":true,\"name\":\"Ava\",\"tone\":\"\"}}", 200, NULL);
}

/* The embedding requests the stand-in got: their "input" lists. */
static GPtrArray *
embedding_inputs (Standin *standin)
{
  g_autoptr (JsonArray) requests = standin_requests (standin);
  GPtrArray *inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) json_array_unref);

  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *request = json_array_get_object_element (requests, i);

      if (g_strcmp0 (test_obj_string (request, "path"), "/v1/embeddings") != 0)
        continue;
      g_assert_cmpstr (test_obj_string (request, "authorization"), ==, "Bearer " API_KEY);
      g_assert_cmpstr (test_obj_string (request, "body.model"), ==, "toy-embed");
      g_ptr_array_add (inputs, json_array_ref (test_obj_array (request, "body.input")));
    }
  return inputs;
}

static guint
completions_count (Standin *standin)
{
  g_autoptr (JsonArray) requests = standin_requests (standin);
  guint count = 0;

  for (guint i = 0; i < json_array_get_length (requests); i++)
    if (g_strcmp0 (test_obj_string (json_array_get_object_element (requests, i), "path"),
                   "/v1/chat/completions") == 0)
      count++;
  return count;
}

/* Waits until the stand-in got @count embedding requests; returns the last one's inputs. */
static JsonArray *
wait_embeddings (Standin *standin,
                 guint    count)
{
  for (guint waited = 0; waited < 10000; waited += 100)
    {
      g_autoptr (GPtrArray) inputs = embedding_inputs (standin);

      if (inputs->len >= count)
        {
          g_assert_cmpuint (inputs->len, ==, count);
          return json_array_ref (g_ptr_array_index (inputs, count - 1));
        }
      test_sleep_ms (100);
    }
  g_error ("no %u embedding requests came", count);
}

static void
test_embeddings (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autofree char *base = assistant_config (standin);
  g_autofree char *config = NULL;
  g_autoptr (TestWorld) world = NULL;
  g_autoptr (JsonObject) unknown = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) later = NULL;
  g_autoptr (JsonArray) sweep = NULL;
  g_autoptr (JsonArray) query = NULL;
  g_autoptr (JsonArray) resweep = NULL;
  g_autoptr (JsonArray) requests = NULL;
  g_autofree char *faqs = NULL, *returns_id = NULL, *patch_path = NULL;
  const char *prompt = NULL;
  JsonArray *sources;

  /* [assistant] keys come after [help] in the base: the section is named again */
  config = g_strdup_printf ("%s[assistant]\nembeddings-url=http://127.0.0.1:%u/v1/embeddings\n"
                            "embeddings-model=toy-embed\n", base, standin->port);
  world = test_world_new (config, TEST_WORLD_DEFAULT);
  add_knowledge (world);
  faqs = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
  {
    g_autoptr (TestResponse) response = test_http (world->relay, "POST", faqs, world->token,
                                                   "{\"question\":\"How do I return an item?\","
                                                   "\"answer\":\"Send it back within 30 days for a refund.\"}", NULL);
    test_assert_http_status (response, 201);
    returns_id = g_strdup (test_obj_string (test_response_object (response), "id"));
  }
  patch_site (world, "{\"assistant\":{\"enabled\":true}}", 200, NULL);
  standin_mode (standin, "fast");

  /* small talk: close to nothing, "I don't know"; the site's vectors are made meanwhile */
  visitor_send (world->visitor, "Hello there", NULL);
  unknown = expect_bot (world->visitor, 10000);
  g_assert_nonnull (strstr (test_obj_string (unknown, "body"), "don't know"));
  g_assert_cmpuint (completions_count (standin), ==, 0);

  /* meanwhile the site's FAQs and articles got their vectors, in one request */
  query = wait_embeddings (standin, 2);
  {
    g_autoptr (GPtrArray) inputs = embedding_inputs (standin);
    JsonArray *first = g_ptr_array_index (inputs, 0), *second = g_ptr_array_index (inputs, 1);

    /* the sweep and the visitor's words, in either order */
    sweep = json_array_ref (json_array_get_length (first) == 3 ? first : second);
    g_assert_cmpuint (json_array_get_length (sweep), ==, 3);
    g_assert_cmpuint (json_array_get_length (json_array_get_length (first) == 3 ? second : first), ==, 1);
  }
  test_sleep_ms (300);

  /* a question sharing no word with any FAQ or article finds them by meaning */
  visitor_send (world->visitor, "When will my parcel arrive?", NULL);
  answer = test_ws_wait_for_match (world->visitor, "message", "body", "Standard shipping takes 3 to 5 working days.", 10000);
  g_assert_true (test_obj_bool (answer, "assistant"));
  sources = test_obj_array (answer, "sources");
  g_assert_cmpuint (json_array_get_length (sources), ==, 2);
  for (guint i = 0; i < json_array_get_length (sources); i++)
    g_assert_cmpstr (test_obj_string (json_array_get_object_element (sources, i), "title"), !=,
                     "How do I return an item?");
  requests = standin_requests (standin);
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *request = json_array_get_object_element (requests, i);

      if (g_strcmp0 (test_obj_string (request, "path"), "/v1/chat/completions") == 0)
        prompt = test_obj_string (element (request, "body.messages", 0), "content");
    }
  g_assert_nonnull (prompt);
  g_assert_nonnull (strstr (prompt, "] What are your shipping times?"));
  g_assert_nonnull (strstr (prompt, "] Shipping and delivery"));
  g_assert_null (strstr (prompt, "within 30 days"));

  /* an FAQ that changes gets a new vector at once, before any visitor asks: only it */
  patch_path = g_strdup_printf ("/api/v1/faqs/%s", returns_id);
  {
    g_autoptr (TestResponse) response = test_http (world->relay, "PATCH", patch_path, world->token,
                                                   "{\"answer\":\"Send it back within 60 days for a refund.\"}", NULL);
    test_assert_http_status (response, 200);
  }
  resweep = wait_embeddings (standin, 4);
  g_assert_cmpuint (json_array_get_length (resweep), ==, 1);
  g_assert_nonnull (strstr (json_array_get_string_element (resweep, 0), "within 60 days"));

  /* so does a new article, and the visitor's next question finds it by meaning */
  {
    g_autofree char *articles = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
    g_autoptr (TestResponse) response = test_http (world->relay, "POST", articles, world->token,
                                                   "{\"title\":\"Exchanges\",\"slug\":\"exchanges\","
                                                   "\"body\":\"Swap any item for another size, free.\","
                                                   "\"published\":true}", NULL);
    test_assert_http_status (response, 201);
  }
  g_clear_pointer (&resweep, json_array_unref);
  resweep = wait_embeddings (standin, 5);
  g_assert_cmpuint (json_array_get_length (resweep), ==, 1);
  g_assert_nonnull (strstr (json_array_get_string_element (resweep, 0), "Swap any item"));
  test_sleep_ms (300);

  visitor_send (world->visitor, "Thanks! And where is my parcel now?", NULL);
  later = test_ws_wait_for_match (world->visitor, "message", "sender.type", "bot", 10000);
  {
    g_autoptr (JsonArray) asked = wait_embeddings (standin, 6);

    /* only the visitor's words: nothing was left to sweep */
    g_assert_cmpuint (json_array_get_length (asked), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (asked, 0), ==, "Thanks! And where is my parcel now?");
  }
}

/* Suggested replies retrieve as the assistant's answers do: a passage found only by the
 * similarity of its vector to the visitor's words is in the prompt and among the sources. */
static void
test_suggest_reply_embeddings (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autofree char *base = assistant_config (standin);
  g_autofree char *config = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *suggest_path = NULL;
  g_autoptr (TestWorld) world = NULL;
  g_autoptr (TestResponse) first = NULL;
  g_autoptr (TestResponse) suggested = NULL;
  g_autoptr (JsonArray) requests = NULL;
  const char *prompt = NULL;
  gboolean swept = FALSE;
  JsonArray *sources;

  config = g_strdup_printf ("%s[assistant]\nembeddings-url=http://127.0.0.1:%u/v1/embeddings\n"
                            "embeddings-model=toy-embed\n", base, standin->port);
  world = test_world_new (config, TEST_WORLD_DEFAULT);
  add_knowledge (world);
  standin_mode (standin, "fast");

  /* the assistant is off for visitors; the agent asks for a reply to words no FAQ or article
   * has: full text alone finds nothing */
  visitor_send (world->visitor, "When will my parcel arrive?", &conversation_id);
  suggest_path = g_strdup_printf ("/api/v1/conversations/%s/suggest-reply", conversation_id);
  first = test_http (world->relay, "POST", suggest_path, world->token, NULL, NULL);
  test_assert_http_status (first, 200);

  /* asking made the site's vectors (the FAQ and the article), and embedded the visitor's words */
  for (guint waited = 0; !swept && waited < 10000; waited += 100)
    {
      g_autoptr (GPtrArray) inputs = embedding_inputs (standin);

      for (guint i = 0; i < inputs->len; i++)
        if (json_array_get_length (g_ptr_array_index (inputs, i)) == 2)
          swept = TRUE;
      if (!swept)
        test_sleep_ms (100);
    }
  g_assert_true (swept);
  test_sleep_ms (300);

  suggested = test_http (world->relay, "POST", suggest_path, world->token, NULL, NULL);
  test_assert_http_status (suggested, 200);
  sources = test_obj_array (test_response_object (suggested), "sources");
  g_assert_cmpuint (json_array_get_length (sources), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      const char *title = test_obj_string (json_array_get_object_element (sources, i), "title");

      g_assert_true (g_strcmp0 (title, "What are your shipping times?") == 0 ||
                     g_strcmp0 (title, "Shipping and delivery") == 0);
    }

  requests = standin_requests (standin);
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *request = json_array_get_object_element (requests, i);

      if (g_strcmp0 (test_obj_string (request, "path"), "/v1/chat/completions") == 0)
        prompt = test_obj_string (element (request, "body.messages", 0), "content");
    }
  g_assert_nonnull (prompt);
  g_assert_nonnull (strstr (prompt, "You draft the next reply"));
  g_assert_nonnull (strstr (prompt, "] What are your shipping times?"));
  g_assert_nonnull (strstr (prompt, "] Shipping and delivery"));
  {
    g_autoptr (GPtrArray) inputs = embedding_inputs (standin);
    JsonArray *last = g_ptr_array_index (inputs, inputs->len - 1);

    g_assert_cmpuint (json_array_get_length (last), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (last, 0), ==, "When will my parcel arrive?");
  }
}

/* A site whose assistant is off: its FAQs cost the embeddings endpoint nothing, until it is
 * turned on: then they get their vectors at once. */
static void
test_embeddings_assistant_off (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autofree char *base = assistant_config (standin);
  g_autofree char *config = NULL;
  g_autoptr (TestWorld) world = NULL;
  g_autoptr (JsonArray) sweep = NULL;

  config = g_strdup_printf ("%s[assistant]\nembeddings-url=http://127.0.0.1:%u/v1/embeddings\n"
                            "embeddings-model=toy-embed\n", base, standin->port);
  world = test_world_new (config, TEST_WORLD_DEFAULT);
  add_knowledge (world);
  test_sleep_ms (TEST_QUIET_MS);
  g_assert_cmpuint (standin_count (standin), ==, 0);

  patch_site (world, "{\"assistant\":{\"enabled\":true}}", 200, NULL);
  sweep = wait_embeddings (standin, 1);
  g_assert_cmpuint (json_array_get_length (sweep), ==, 2);
}

/* A site with articles and no FAQ at all: the assistant answers all the same (the FAQ bot's
 * "no FAQs, nothing to do" must not keep it quiet). */
static void
test_articles_only (void)
{
  g_autoptr (Standin) standin = standin_start ();
  g_autofree char *config = assistant_config (standin);
  g_autoptr (TestWorld) world = test_world_new (config, TEST_WORLD_DEFAULT);
  g_autofree char *articles = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
  g_autoptr (TestResponse) article = NULL;
  g_autoptr (JsonObject) answer = NULL;

  article = test_http (world->relay, "POST", articles, world->token,
                       "{\"title\":\"Shipping and delivery\",\"slug\":\"shipping\","
                       "\"body\":\"Shipping takes 3 to 5 working days in Europe.\",\"published\":true}", NULL);
  test_assert_http_status (article, 201);
  patch_site (world, "{\"assistant\":{\"enabled\":true}}", 200, NULL);
  standin_mode (standin, "fast");

  /* the first message starts the conversation; the next ones go through the store's writer */
  visitor_send (world->visitor, "Hello", NULL);
  answer = expect_bot (world->visitor, 10000);
  g_assert_nonnull (strstr (test_obj_string (answer, "body"), "don't know"));
  g_clear_pointer (&answer, json_object_unref);
  visitor_send (world->visitor, "How long does shipping take?", NULL);
  answer = test_ws_wait_for_match (world->visitor, "message", "body", "Standard shipping takes 3 to 5 working days.", 10000);
  g_assert_true (test_obj_bool (answer, "assistant"));
  g_assert_cmpstr (test_obj_string (element (answer, "sources", 0), "title"), ==, "Shipping and delivery");
  g_assert_cmpuint (standin_count (standin), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/assistant/streams-answer", test_streams_answer);
  test_harness_add ("/assistant/no-hit-no-call", test_no_hit_no_call);
  test_harness_add ("/assistant/ask-email/nobody-online", test_ask_email_nobody_online);
  test_harness_add ("/assistant/ask-email/agent-online", test_no_ask_agent_online);
  test_harness_add ("/assistant/ask-email/on-handoff", test_ask_email_on_handoff);
  test_harness_add ("/assistant/ask-email/faq-only", test_ask_email_faq_only);
  test_harness_add ("/assistant/ask-email/email-known", test_no_ask_email_known);
  test_harness_add ("/assistant/ask-email/outside-hours", test_ask_email_outside_hours);
  test_harness_add ("/assistant/fallback/http-error", test_fallback_http_error);
  test_harness_add ("/assistant/fallback/garbage", test_fallback_garbage);
  test_harness_add ("/assistant/fallback/timeout", test_fallback_timeout);
  test_harness_add ("/assistant/handoff", test_handoff);
  test_harness_add ("/assistant/quiet-after-agent", test_quiet_after_agent);
  test_harness_add ("/assistant/vote", test_vote);
  test_harness_add ("/assistant/vote-read-back", test_vote_read_back);
  test_harness_add ("/assistant/retract/agent-joined", test_retract_agent_joined);
  test_harness_add ("/assistant/retract/visitor-wrote-again", test_retract_visitor_wrote_again);
  test_harness_add ("/assistant/retract/failed", test_retract_failed);
  test_harness_add ("/assistant/agent-assist", test_agent_assist);
  test_harness_add ("/assistant/assist-rate-limited", test_assist_rate_limited);
  test_harness_add ("/assistant/unavailable", test_unavailable);
  test_harness_add ("/assistant/settings-checked", test_settings_checked);
  test_harness_add ("/assistant/embeddings", test_embeddings);
  test_harness_add ("/assistant/embeddings/assistant-off", test_embeddings_assistant_off);
  test_harness_add ("/assistant/embeddings/suggest-reply", test_suggest_reply_embeddings);
  test_harness_add ("/assistant/articles-only", test_articles_only);

  return g_test_run ();
}
