/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cluster-assistant.c: the assistant's draft on several relays (issue 16). A visitor with
 * one tab on relay A and one on relay B (one real redis-server; on SQLite the relays share a
 * data directory, with CONFAB_TEST_STORE=postgresql one database) sees the answer stream in
 * both tabs, fewer drafts crossing Redis than A's tab gets and in order, and a retracted draft
 * (assistant_cancel) goes from both. The model is the local stand-in openai-standin.py. */
#include "relay-harness.h"
#include "cluster-redis.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#define REPLY "Standard shipping takes 3 to 5 working days, says our shipping page, and we ship worldwide from Lyon."

/* --- the stand-in (as in test-relay-assistant.c) --- */

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

  standin->dir = g_dir_make_tmp ("confab-cluster-assistant-XXXXXX", &error);
  g_assert_no_error (error);
  standin->key_file = g_build_filename (standin->dir, "api-key", NULL);
  g_file_set_contents (standin->key_file, "sk-test-cluster\n", -1, &error);
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

static void
standin_control (Standin    *standin,
                 const char *body)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/control", standin->port);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr (GBytes) answer = NULL;
  g_autoptr (GError) error = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
}

/* --- two relays, one visitor with a tab on each --- */

typedef struct {
  ClusterRedis *redis;
  Standin      *standin;
  TestWorld    *world;     /* relay A, its agent and the visitor's first tab */
  TestRelay    *b;
  TestWs       *tab_b;     /* the same visitor on relay B */
} Pair;

static char *
pair_config (Pair *pair,
             char  node)
{
  return g_strdup_printf ("[cluster]\nredis=%s\nnode-name=relay-%c\n"
                          "[assistant]\nurl=http://127.0.0.1:%u/v1/chat/completions\n"
                          "model=test-model-7b\napi-key-file=%s\ntimeout-seconds=5\n",
                          pair->redis->url, node, pair->standin->port, pair->standin->key_file);
}

/* Relay B: on SQLite in A's data directory; on PostgreSQL in a directory of its own that names
 * A's database (as test-cluster-relays.c's relay_beside ()). */
static TestRelay *
relay_beside (TestRelay  *first,
              const char *config)
{
  const char *first_dir = test_relay_data_dir (first);
  g_autofree char *dir = NULL, *url_file = NULL, *url = NULL, *copy = NULL;

  if (!test_store_is_postgresql ())
    return test_relay_new_full (config, first_dir);

  dir = g_strdup_printf ("%s/data-b", test_relay_tmp_dir (first));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  url_file = g_build_filename (first_dir, "test-pg-url", NULL);
  g_assert_true (g_file_get_contents (url_file, &url, NULL, NULL));
  copy = g_build_filename (dir, "test-pg-url", NULL);
  g_assert_true (g_file_set_contents (copy, url, -1, NULL));
  return test_relay_new_full (config, dir);
}

static void
pair_free (Pair *pair)
{
  g_clear_pointer (&pair->tab_b, test_ws_free);
  g_clear_pointer (&pair->b, test_relay_free);
  g_clear_pointer (&pair->world, test_world_free);
  g_clear_pointer (&pair->standin, standin_free);
  g_clear_pointer (&pair->redis, cluster_redis_free);
  g_free (pair);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pair, pair_free)

/* NULL (the test skipped) without redis-server. */
static Pair *
pair_new (void)
{
  g_autofree char *program = g_find_program_in_path ("redis-server");
  g_autofree char *config_a = NULL, *config_b = NULL;
  g_autofree char *faqs = NULL, *site_path = NULL;
  g_autoptr (TestResponse) faq = NULL;
  g_autoptr (TestResponse) patched = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  Pair *pair;

  if (program == NULL)
    {
      test_harness_skip ("redis-server is not installed (apt-get install redis-server)");
      return NULL;
    }
  pair = g_new0 (Pair, 1);
  pair->redis = cluster_redis_start ();
  pair->standin = standin_start ();
  config_a = pair_config (pair, 'a');
  pair->world = test_world_new (config_a, TEST_WORLD_DEFAULT);
  config_b = pair_config (pair, 'b');
  pair->b = relay_beside (pair->world->relay, config_b);
  test_relay_start (pair->b);

  faqs = g_strdup_printf ("/api/v1/sites/%s/faqs", pair->world->site_id);
  faq = test_http (pair->world->relay, "POST", faqs, pair->world->token,
                   "{\"question\":\"What are your shipping times?\","
                   "\"answer\":\"Standard shipping takes 3 to 5 working days.\","
                   "\"keywords\":[\"shipping\",\"delivery\"]}", NULL);
  test_assert_http_status (faq, 201);
  site_path = g_strdup_printf ("/api/v1/sites/%s", pair->world->site_id);
  patched = test_http (pair->world->relay, "PATCH", site_path, pair->world->token,
                       "{\"settings\":{\"assistant\":{\"enabled\":true,\"name\":\"Ava\"}}}", NULL);
  test_assert_http_status (patched, 200);

  /* the same visitor in a second tab, on relay B */
  pair->tab_b = test_ws_widget (pair->b, pair->world->site_key);
  test_ws_set_name (pair->tab_b, "visitor's tab on B");
  welcome = test_visitor_hello (pair->tab_b, pair->world->visitor_id, pair->world->visitor_token,
                                "https://a.test/");
  g_assert_cmpstr (test_obj_string (welcome, "visitor_id"), ==, pair->world->visitor_id);
  return pair;
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

/* The texts of @stream_id's drafts @ws got, in order, up to its stored message (or the end). */
static GPtrArray *
drafts_of (TestWs     *ws,
           const char *stream_id,
           gboolean   *out_stored_after)
{
  GPtrArray *log = test_ws_log (ws);
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  *out_stored_after = FALSE;
  for (guint i = 0; i < log->len; i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *frame;
      const char *type;

      g_assert_true (json_parser_load_from_data (parser, g_ptr_array_index (log, i), -1, NULL));
      frame = json_node_get_object (json_parser_get_root (parser));
      type = json_object_get_string_member_with_default (frame, "type", "");
      if (g_strcmp0 (json_object_get_string_member_with_default (frame, "stream_id", ""), stream_id) != 0)
        continue;
      if (strcmp (type, "message") == 0)
        {
          *out_stored_after = TRUE;
          break;
        }
      if (strcmp (type, "assistant_delta") == 0)
        g_ptr_array_add (texts, g_strdup (json_object_get_string_member (frame, "text")));
    }
  return texts;
}

/* --- tests --- */

static void
test_draft_in_both_tabs (void)
{
  g_autoptr (Pair) pair = pair_new ();
  g_autofree char *conversation_id = NULL;
  g_autofree char *reply = NULL;
  g_autoptr (JsonObject) first_b = NULL;
  g_autoptr (JsonObject) answer_a = NULL;
  g_autoptr (JsonObject) answer_b = NULL;
  g_autoptr (GPtrArray) drafts_a = NULL;
  g_autoptr (GPtrArray) drafts_b = NULL;
  const char *stream_id;
  gboolean stored_a, stored_b;
  gint64 started, took_ms;

  if (pair == NULL)
    return;
  reply = g_strdup_printf ("{\"mode\":\"stream\",\"reply\":\"%s\"}", REPLY);
  standin_control (pair->standin, reply);

  started = g_get_monotonic_time ();
  visitor_send (pair->world->visitor, "How long does shipping take?", &conversation_id);

  /* the tab on B sees the draft while it is written */
  first_b = test_ws_wait_for (pair->tab_b, "assistant_delta", 10000);
  g_assert_cmpstr (test_obj_string (first_b, "conversation_id"), ==, conversation_id);
  stream_id = test_obj_string (first_b, "stream_id");
  g_assert_true (g_str_has_prefix (REPLY, test_obj_string (first_b, "text")));
  g_assert_cmpstr (test_obj_string (first_b, "text"), !=, REPLY);

  /* both get the stored answer in its place */
  answer_a = test_ws_wait_for_match (pair->world->visitor, "message", "sender.type", "bot", 15000);
  answer_b = test_ws_wait_for_match (pair->tab_b, "message", "sender.type", "bot", 15000);
  took_ms = (g_get_monotonic_time () - started) / 1000;
  g_assert_cmpstr (test_obj_string (answer_a, "stream_id"), ==, stream_id);
  g_assert_cmpstr (test_obj_string (answer_b, "stream_id"), ==, stream_id);
  g_assert_cmpstr (test_obj_string (answer_b, "body"), ==, REPLY);

  /* no draft after the message, each a longer prefix of the answer than the one before; B got
   * at least two over the 2.5 s of writing, coalesced for Redis: at most one per 500 ms of the
   * time the whole answer took, and no more than A (one per 100 ms: 18 to B's 5 on an idle
   * machine) */
  test_sleep_ms (TEST_QUIET_MS);
  drafts_a = drafts_of (pair->world->visitor, stream_id, &stored_a);
  drafts_b = drafts_of (pair->tab_b, stream_id, &stored_b);
  g_assert_true (stored_a && stored_b);
  g_test_message ("drafts: %u in the tab on A, %u in the tab on B in %" G_GINT64_FORMAT " ms",
                  drafts_a->len, drafts_b->len, took_ms);
  g_assert_cmpuint (drafts_b->len, >=, 2);
  g_assert_cmpuint (drafts_b->len, <=, drafts_a->len);
  g_assert_cmpint (drafts_b->len, <=, took_ms / 500 + 1);
  for (guint i = 0; i < drafts_b->len; i++)
    {
      const char *text = g_ptr_array_index (drafts_b, i);

      g_assert_true (g_str_has_prefix (REPLY, text));
      if (i > 0)
        g_assert_cmpuint (strlen (text), >, strlen (g_ptr_array_index (drafts_b, i - 1)));
    }
  {
    GPtrArray *log = test_ws_log (pair->tab_b);
    gboolean message_seen = FALSE;

    for (guint i = 0; i < log->len; i++)
      {
        const char *text = g_ptr_array_index (log, i);

        if (strstr (text, "\"type\":\"message\"") != NULL && strstr (text, stream_id) != NULL)
          message_seen = TRUE;
        else if (message_seen)
          g_assert_null (strstr (text, "\"assistant_delta\""));
      }
  }
}

static void
test_cancel_in_both_tabs (void)
{
  g_autoptr (Pair) pair = pair_new ();
  g_autofree char *conversation_id = NULL;
  g_autofree char *reply = NULL;
  g_autoptr (JsonObject) delta_b = NULL;
  g_autoptr (JsonObject) cancel_a = NULL;
  g_autoptr (JsonObject) cancel_b = NULL;
  g_autoptr (JsonObject) stored = NULL;
  const char *stream_id;

  if (pair == NULL)
    return;
  reply = g_strdup_printf ("{\"mode\":\"stream\",\"reply\":\"%s\"}", REPLY);
  standin_control (pair->standin, reply);

  visitor_send (pair->world->visitor, "How long does shipping take?", &conversation_id);
  delta_b = test_ws_wait_for (pair->tab_b, "assistant_delta", 10000);
  stream_id = test_obj_string (delta_b, "stream_id");

  /* an agent comes in: the draft goes from both tabs, and nothing of it follows */
  test_agent_say (pair->world->agent, conversation_id, "Hi, I am Sam, let me check that for you.");
  cancel_a = test_ws_wait_for_match (pair->world->visitor, "assistant_cancel", "stream_id", stream_id, 10000);
  cancel_b = test_ws_wait_for_match (pair->tab_b, "assistant_cancel", "stream_id", stream_id, 10000);
  g_assert_cmpstr (test_obj_string (cancel_b, "conversation_id"), ==, conversation_id);
  test_sleep_ms (TEST_QUIET_MS);
  {
    GPtrArray *log = test_ws_log (pair->tab_b);
    gboolean after = FALSE;

    for (guint i = 0; i < log->len; i++)
      {
        const char *text = g_ptr_array_index (log, i);

        if (strstr (text, "\"assistant_cancel\"") != NULL)
          after = TRUE;
        else if (after)
          g_assert_null (strstr (text, "\"assistant_delta\""));
      }
  }
  stored = test_ws_find_match (pair->tab_b, "message", "sender.type", "bot", 2000);
  g_assert_null (stored);
}

int
main (int   argc,
      char *argv[])
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/cluster-assistant/draft-in-both-tabs", test_draft_in_both_tabs);
  test_harness_add ("/cluster-assistant/cancel-in-both-tabs", test_cancel_in_both_tabs);

  return g_test_run ();
}
