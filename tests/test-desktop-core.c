/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-core.c: the desktop core (ConfabClient, ConfabCache, the list models) against
 * a real confab-relay. The visitor side is the harness's TestWs; the agent side is the
 * ConfabClient under test. */
#define G_LOG_DOMAIN "test-desktop-core"

#include "confab-client.h"
#include "confab-conversation-list.h"
#include "confab-message-list.h"
#include "relay-harness.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  TestWorld    *world;
  char         *cache_path;
  ConfabCache  *cache;
  ConfabClient *client;
  GPtrArray    *previews;   /* char* "conversation_id:text" */
} Fixture;

static gboolean
wait_until (gboolean (*done) (gpointer),
            gpointer   data,
            guint      timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!done (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static gboolean
is_online (gpointer data)
{
  return confab_client_get_state (data) == CONFAB_CLIENT_ONLINE;
}

static gboolean
is_not_online (gpointer data)
{
  return confab_client_get_state (data) != CONFAB_CLIENT_ONLINE;
}

static gboolean
outbox_empty (gpointer data)
{
  return confab_cache_outbox_length (data) == 0;
}

typedef struct {
  ConfabCache *cache;
  const char  *conversation_id;
  const char  *preview;
} PreviewWait;

/* The relay's echo of a message is applied: the conversation's preview says it. */
static gboolean
preview_is (gpointer data)
{
  PreviewWait *wait = data;
  g_autoptr (ConfabConversation) conversation = confab_cache_get_conversation (wait->cache,
                                                                              wait->conversation_id);

  return conversation != NULL &&
         g_strcmp0 (confab_conversation_get_preview (conversation), wait->preview) == 0;
}

static gboolean
nothing_queued (gpointer data)
{
  g_autoptr (GPtrArray) queued = confab_cache_outbox_list (data);

  return queued->len == 0;
}

static void
on_preview (ConfabClient *client,
            const char   *site_id,
            const char   *conversation_id,
            const char   *visitor_id,
            const char   *text,
            gboolean      active,
            Fixture      *fixture)
{
  g_ptr_array_add (fixture->previews, g_strdup_printf ("%s:%s", conversation_id, text));
}

static void
sign_in_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GError **out = user_data;

  if (!confab_client_sign_in_finish (CONFAB_CLIENT (source), result, out) && *out == NULL)
    g_assert_not_reached ();
  out[1] = (GError *) GINT_TO_POINTER (1);
}

/* Signs in; returns the error (NULL on success). */
static GError *
sign_in (ConfabClient *client,
         const char   *email,
         const char   *password)
{
  GError *state[2] = { NULL, NULL };

  confab_client_sign_in_async (client, email, password, NULL, sign_in_cb, state);
  while (state[1] == NULL)
    g_main_context_iteration (NULL, TRUE);
  return state[0];
}

static void
fixture_open_client (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  fixture->cache = confab_cache_new (fixture->cache_path, &error);
  g_assert_no_error (error);
  fixture->client = confab_client_new (fixture->cache, test_relay_base_url (fixture->world->relay));
  g_signal_connect (fixture->client, "typing-preview", G_CALLBACK (on_preview), fixture);
}

static Fixture *
fixture_new (void)
{
  Fixture *fixture = g_new0 (Fixture, 1);
  GError *error = NULL;

  fixture->world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  fixture->cache_path = g_build_filename (test_relay_tmp_dir (fixture->world->relay),
                                          "desktop", "cache.db", NULL);
  fixture->previews = g_ptr_array_new_with_free_func (g_free);
  fixture_open_client (fixture);

  error = sign_in (fixture->client, fixture->world->email, fixture->world->password);
  g_assert_no_error (error);
  confab_client_start (fixture->client);
  g_assert_true (wait_until (is_online, fixture->client, TEST_TIMEOUT_MS));
  return fixture;
}

static void
fixture_close_client (Fixture *fixture)
{
  if (fixture->client != NULL)
    confab_client_stop (fixture->client);
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->cache);
}

static void
fixture_free (Fixture *fixture)
{
  fixture_close_client (fixture);
  test_world_free (fixture->world);
  g_ptr_array_unref (fixture->previews);
  g_free (fixture->cache_path);
  g_free (fixture);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

/* The conversation the visitor opens with @body; waits until the cache has it. */
static char *
visitor_opens (Fixture    *fixture,
               const char *body)
{
  char *conversation_id = NULL;
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MS * 1000;

  test_visitor_say (fixture->world->visitor, body, &conversation_id);
  for (;;)
    {
      g_autoptr (ConfabMessage) message = confab_cache_get_message (fixture->cache, conversation_id, 1);
      if (message != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return conversation_id;
}

static guint
n_items (gpointer model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (model));
}

/* A conversation's messages, without its timeline rows (an agent's first reply assigns the
 * conversation to them: an "assigned" row joins the list, see test-desktop-unseen). */
static guint
n_messages (gpointer model)
{
  guint count = 0;

  for (guint i = 0; i < n_items (model); i++)
    {
      g_autoptr (ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (model), i);

      count += !confab_message_is_timeline (message);
    }
  return count;
}

/* The @n-th message of a conversation's list, timeline rows skipped. */
static ConfabMessage *
nth_message (gpointer model,
             guint    n)
{
  for (guint i = 0; i < n_items (model); i++)
    {
      ConfabMessage *message = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (confab_message_is_timeline (message))
        {
          g_object_unref (message);
          continue;
        }
      if (n-- == 0)
        return message;
      g_object_unref (message);
    }
  return NULL;
}

/* --- tests --- */

static void
test_sign_in (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *path = g_build_filename (test_relay_tmp_dir (world->relay), "c.db", NULL);
  g_autoptr (ConfabCache) cache = confab_cache_new (path, NULL);
  g_autoptr (ConfabClient) client = confab_client_new (cache, test_relay_base_url (world->relay));
  g_autoptr (GListModel) sites = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (confab_client_get_state (client), ==, CONFAB_CLIENT_SIGNED_OUT);

  error = sign_in (client, world->email, "not the password");
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_assert_null (confab_client_get_token (client));
  g_clear_error (&error);

  error = sign_in (client, world->email, world->password);
  g_assert_no_error (error);
  g_assert_nonnull (confab_client_get_token (client));
  g_assert_cmpstr (confab_client_get_user_id (client), ==, world->user_id);

  confab_client_start (client);
  g_assert_true (wait_until (is_online, client, TEST_TIMEOUT_MS));

  sites = confab_cache_list_sites (cache);
  g_assert_cmpuint (n_items (sites), ==, 1);
  site = g_list_model_get_item (sites, 0);
  g_assert_cmpstr (confab_site_get_id (site), ==, world->site_id);
  g_assert_cmpstr (confab_site_get_role (site), ==, "owner");

  /* the token never reaches the cache file */
  {
    g_autofree char *contents = NULL;
    gsize len = 0;

    confab_client_stop (client);
    g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
    g_assert_null (g_strstr_len (contents, len, confab_client_get_token (client)));
  }
}

static void
test_receive_send (void)
{
  g_autoptr (Fixture) fixture = fixture_new ();
  g_autofree char *conversation_id = NULL;
  g_autoptr (ConfabConversationList) conversations = NULL;
  g_autoptr (ConfabMessageList) messages = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) sent = NULL;
  g_autoptr (ConfabMessage) first = NULL;
  g_autoptr (ConfabMessage) second = NULL;
  g_autoptr (JsonObject) echo = NULL;
  g_autoptr (GError) error = NULL;

  conversations = confab_conversation_list_new (fixture->cache);
  g_assert_cmpuint (n_items (conversations), ==, 0);

  conversation_id = visitor_opens (fixture, "Hello there");
  g_assert_true (wait_until ((gpointer) n_items, conversations, TEST_TIMEOUT_MS));
  g_assert_cmpuint (n_items (conversations), ==, 1);
  conversation = g_list_model_get_item (G_LIST_MODEL (conversations), 0);
  g_assert_cmpstr (confab_conversation_get_id (conversation), ==, conversation_id);
  g_assert_cmpstr (confab_conversation_get_preview (conversation), ==, "Hello there");
  g_assert_cmpint (confab_conversation_get_unread (conversation), ==, 1);

  messages = confab_message_list_new (fixture->cache, conversation_id);
  g_assert_cmpuint (n_messages (messages), ==, 1);

  sent = confab_client_send_message (fixture->client, conversation_id, "Hi! How can I help?", &error);
  g_assert_no_error (error);
  g_assert_nonnull (confab_message_get_client_id (sent));
  g_assert_cmpint (n_messages (messages), ==, 2);

  echo = test_ws_wait_for_match (fixture->world->visitor, "message", "client_id",
                                 confab_message_get_client_id (sent), TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (echo, "body"), ==, "Hi! How can I help?");
  g_assert_cmpstr (test_obj_string (echo, "sender.type"), ==, "agent");
  g_assert_true (wait_until (outbox_empty, fixture->cache, TEST_TIMEOUT_MS));

  first = nth_message (messages, 0);
  second = nth_message (messages, 1);
  g_assert_cmpint (n_messages (messages), ==, 2);
  g_assert_cmpstr (confab_message_get_body (first), ==, "Hello there");
  g_assert_cmpint (confab_message_get_seq (second), ==, 2);
  g_assert_cmpint (confab_message_get_state (second), ==, CONFAB_MESSAGE_SENT);

  /* refused by the relay for good (unknown conversation): FAILED, kept until discarded, and
   * the queue behind it moves on */
  {
    g_autoptr (ConfabMessage) doomed = confab_client_send_message (fixture->client, "no-such-conversation",
                                                                    "lost", &error);
    g_autoptr (ConfabMessage) behind = confab_client_send_message (fixture->client, conversation_id,
                                                                    "still delivered", &error);
    g_autoptr (JsonObject) delivered = NULL;
    g_autoptr (GPtrArray) queued = NULL;

    g_assert_no_error (error);
    delivered = test_ws_wait_for_match (fixture->world->visitor, "message", "client_id",
                                        confab_message_get_client_id (behind), TEST_TIMEOUT_MS);
    g_assert_true (wait_until ((gpointer) is_online, fixture->client, TEST_TIMEOUT_MS));
    /* the visitor may see it before the client has applied its ack */
    g_assert_true (wait_until (nothing_queued, fixture->cache, TEST_TIMEOUT_MS));
    queued = confab_cache_outbox_list (fixture->cache);
    g_assert_cmpuint (queued->len, ==, 0);
    g_assert_cmpuint (confab_cache_outbox_length (fixture->cache), ==, 1);
    g_assert_true (confab_client_discard_message (fixture->client,
                                                  confab_message_get_client_id (doomed), &error));
    g_assert_cmpuint (confab_cache_outbox_length (fixture->cache), ==, 0);
  }

  /* bad input: refused before it reaches the outbox */
  g_assert_null (confab_client_send_message (fixture->client, conversation_id, "   ", &error));
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID);
  g_assert_cmpuint (confab_cache_outbox_length (fixture->cache), ==, 0);
}

static void
test_typing_preview (void)
{
  g_autoptr (Fixture) fixture = fixture_new ();
  g_autofree char *conversation_id = visitor_opens (fixture, "first");
  g_autofree char *expected = g_strdup_printf ("%s:I have a ques", conversation_id);
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MS * 1000;

  test_ws_sendf (fixture->world->visitor, "{'type':'typing','preview':'I have a ques'}");
  while (fixture->previews->len == 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (fixture->previews->len, >=, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->previews, fixture->previews->len - 1), ==, expected);
}

/* Each body of @bodies once, in order, in the visitor's view of the conversation. */
static void
assert_visitor_sees_once (Fixture            *fixture,
                          const char * const *bodies)
{
  g_autoptr (TestWs) visitor = test_ws_widget (fixture->world->relay, fixture->world->site_key);
  g_autoptr (JsonObject) welcome = test_visitor_hello (visitor, fixture->world->visitor_id,
                                                       fixture->world->visitor_token,
                                                       "https://a.test/");
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  test_ws_sendf (visitor, "{'type':'resume','after_seq':0}");
  for (;;)
    {
      g_autoptr (JsonObject) frame = test_ws_next (visitor, TEST_TIMEOUT_MS);

      g_assert_nonnull (frame);
      if (g_strcmp0 (test_obj_string (frame, "type"), "synced") == 0)
        break;
      if (g_strcmp0 (test_obj_string (frame, "type"), "message") == 0)
        g_ptr_array_add (seen, g_strdup (test_obj_string (frame, "body")));
    }

  for (guint i = 0; bodies[i]; i++)
    {
      guint count = 0, last = 0;

      for (guint j = 0; j < seen->len; j++)
        if (g_strcmp0 (g_ptr_array_index (seen, j), bodies[i]) == 0)
          count++, last = j;
      g_assert_cmpuint (count, ==, 1);
      if (i > 0)
        {
          guint prev = 0;
          for (guint j = 0; j < seen->len; j++)
            if (g_strcmp0 (g_ptr_array_index (seen, j), bodies[i - 1]) == 0)
              prev = j;
          g_assert_cmpuint (prev, <, last);
        }
    }
}

static void
test_outbox_offline (void)
{
  g_autoptr (Fixture) fixture = fixture_new ();
  g_autofree char *conversation_id = visitor_opens (fixture, "anyone there?");
  static const char * const bodies[] = { "queued one", "queued two", "queued three", NULL };
  g_autoptr (ConfabMessageList) messages = NULL;
  g_autoptr (GPtrArray) queued = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;

  test_relay_stop (fixture->world->relay);
  g_assert_true (wait_until (is_not_online, fixture->client, 10000));

  for (guint i = 0; bodies[i]; i++)
    {
      g_autoptr (ConfabMessage) message = confab_client_send_message (fixture->client, conversation_id,
                                                                       bodies[i], &error);
      g_assert_no_error (error);
      g_assert_cmpint (confab_message_get_state (message), ==, CONFAB_MESSAGE_QUEUED);
    }
  g_assert_cmpuint (confab_cache_outbox_length (fixture->cache), ==, 3);

  /* the outbox survives the app quitting; the token comes back as from the keyring */
  token = g_strdup (confab_client_get_token (fixture->client));
  fixture_close_client (fixture);
  fixture_open_client (fixture);
  confab_client_set_token (fixture->client, token);
  queued = confab_cache_outbox_list (fixture->cache);
  g_assert_cmpuint (queued->len, ==, 3);
  g_assert_cmpstr (confab_message_get_body (g_ptr_array_index (queued, 0)), ==, "queued one");
  messages = confab_message_list_new (fixture->cache, conversation_id);
  g_assert_cmpuint (n_messages (messages), ==, 4);

  /* same data dir, new port */
  test_relay_start (fixture->world->relay);
  confab_client_set_relay_url (fixture->client, test_relay_base_url (fixture->world->relay));
  confab_client_start (fixture->client);
  g_assert_true (wait_until (outbox_empty, fixture->cache, 10000));

  for (guint i = 0; i < 4; i++)
    {
      g_autoptr (ConfabMessage) message = nth_message (messages, i);
      g_assert_cmpint (confab_message_get_seq (message), ==, i + 1);
      g_assert_cmpint (confab_message_get_state (message), ==, CONFAB_MESSAGE_SENT);
    }
  g_assert_cmpuint (n_messages (messages), ==, 4);

  /* A blind resend of one of them (what the client does after a lost ack) is stored once. */
  {
    g_autoptr (ConfabMessage) second = nth_message (messages, 2);
    g_autoptr (TestWs) agent = test_ws_agent (fixture->world->relay,
                                              confab_client_get_token (fixture->client));
    g_autoptr (JsonObject) ack = NULL;

    test_ws_sendf (agent, "{'type':'message','conversation_id':'%s','client_id':'%s','body':'queued two'}",
                   conversation_id, confab_message_get_client_id (second));
    ack = test_ws_wait_for (agent, "ack", TEST_TIMEOUT_MS);
    g_assert_cmpint (test_obj_int (ack, "seq"), ==, 3);
  }

  assert_visitor_sees_once (fixture, bodies);
}

static void
test_cache_reopen (void)
{
  g_autoptr (Fixture) fixture = fixture_new ();
  g_autofree char *conversation_id = visitor_opens (fixture, "question one");
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabConversationList) conversations = NULL;
  g_autoptr (ConfabMessageList) messages = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) last = NULL;
  gint64 cursor;

  reply = confab_client_send_message (fixture->client, conversation_id, "answer one", NULL);
  g_assert_true (wait_until (outbox_empty, fixture->cache, TEST_TIMEOUT_MS));
  /* the ack empties the outbox; the relay's echo, which moves the conversation's preview and
   * cursor, follows in a slice of its own (paced): wait for it too, or the relay may stop first */
  {
    PreviewWait wait = { fixture->cache, conversation_id, "answer one" };

    g_assert_true (wait_until (preview_is, &wait, TEST_TIMEOUT_MS));
  }
  cursor = confab_cache_get_cursor (fixture->cache);
  g_assert_cmpint (cursor, >, 0);

  /* no relay, no network: only the file */
  test_relay_stop (fixture->world->relay);
  fixture_close_client (fixture);
  fixture->cache = confab_cache_new (fixture->cache_path, NULL);
  g_assert_nonnull (fixture->cache);

  g_assert_cmpint (confab_cache_get_cursor (fixture->cache), ==, cursor);
  conversations = confab_conversation_list_new (fixture->cache);
  g_assert_cmpuint (n_items (conversations), ==, 1);
  conversation = g_list_model_get_item (G_LIST_MODEL (conversations), 0);
  g_assert_cmpstr (confab_conversation_get_id (conversation), ==, conversation_id);
  g_assert_cmpstr (confab_conversation_get_preview (conversation), ==, "answer one");

  messages = confab_message_list_new (fixture->cache, conversation_id);
  g_assert_cmpuint (n_messages (messages), ==, 2);
  last = nth_message (messages, 1);
  g_assert_cmpstr (confab_message_get_body (last), ==, "answer one");
  g_assert_cmpstr (confab_message_get_sender_type (last), ==, "agent");
}

static void
test_resume_no_gaps (void)
{
  g_autoptr (Fixture) fixture = fixture_new ();
  g_autofree char *conversation_id = visitor_opens (fixture, "m1");
  g_autoptr (ConfabMessageList) messages = NULL;
  g_autoptr (TestResponse) response = NULL;
  JsonArray *relay_messages;
  guint total = 30;

  messages = confab_message_list_new (fixture->cache, conversation_id);

  /* the visitor talks on while the client is cut off mid-stream */
  for (guint i = 2; i <= 15; i++)
    {
      g_autofree char *body = g_strdup_printf ("m%u", i);
      test_visitor_say (fixture->world->visitor, body, NULL);
    }
  test_relay_kill (fixture->world->relay);
  test_relay_start (fixture->world->relay);
  g_clear_pointer (&fixture->world->visitor, test_ws_free);
  fixture->world->visitor = test_ws_widget (fixture->world->relay, fixture->world->site_key);
  {
    g_autoptr (JsonObject) welcome = test_visitor_hello (fixture->world->visitor,
                                                         fixture->world->visitor_id,
                                                         fixture->world->visitor_token,
                                                         "https://a.test/");
  }
  for (guint i = 16; i <= total; i++)
    {
      g_autofree char *body = g_strdup_printf ("m%u", i);
      test_visitor_say (fixture->world->visitor, body, NULL);
    }

  /* the client finds the relay at its new address and resumes from its cursor */
  confab_client_set_relay_url (fixture->client, test_relay_base_url (fixture->world->relay));
  g_assert_true (wait_until (is_online, fixture->client, 10000));
  {
    gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    while (n_messages (messages) < total && g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE);
  }

  response = test_http (fixture->world->relay, "GET",
                        g_strdup_printf ("/api/v1/conversations/%s/messages?after_seq=0&limit=100",
                                         conversation_id),
                        confab_client_get_token (fixture->client), NULL, NULL);
  test_assert_http_status (response, 200);
  relay_messages = test_obj_array (test_response_object (response), "messages");
  g_assert_cmpuint (json_array_get_length (relay_messages), ==, total);

  g_assert_cmpuint (n_messages (messages), ==, total);
  for (guint i = 0; i < total; i++)
    {
      g_autoptr (ConfabMessage) message = nth_message (messages, i);
      JsonObject *expected = json_array_get_object_element (relay_messages, i);

      g_assert_cmpint (confab_message_get_seq (message), ==, i + 1);
      g_assert_cmpstr (confab_message_get_body (message), ==, test_obj_string (expected, "body"));
    }
}

typedef struct {
  gboolean  done;
  char     *conversation_id;
  GError   *error;
} StartResult;

static void
start_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  StartResult *out = user_data;

  out->conversation_id = confab_client_start_conversation_finish (CONFAB_CLIENT (source), result,
                                                                  &out->error);
  out->done = TRUE;
}

/* Starts a conversation with @visitor_id and waits for the answer; returns the conversation id
 * (NULL with *@error set). */
static char *
start_conversation (ConfabClient  *client,
                    const char    *visitor_id,
                    const char    *body,
                    GError       **error)
{
  StartResult result = { FALSE, NULL, NULL };
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_MS * 1000;

  confab_client_start_conversation_async (client, visitor_id, body, NULL, start_cb, &result);
  while (!result.done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  if (result.error != NULL)
    g_propagate_error (error, result.error);
  return result.conversation_id;
}

typedef struct {
  ConfabCache *cache;
  const char  *visitor_id;
} VisitorRef;

static gboolean
visitor_gone (gpointer data)
{
  VisitorRef *ref = data;
  g_autoptr (ConfabVisitor) visitor = confab_cache_get_visitor (ref->cache, ref->visitor_id);

  return visitor != NULL && !confab_visitor_get_online (visitor);
}

static void
test_start_conversation (void)
{
  g_autoptr (Fixture) fixture = fixture_new ();
  TestWs *visitor = fixture->world->visitor;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (JsonObject) announced = NULL;
  g_autoptr (JsonObject) first = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *again = NULL;
  g_autofree char *reply_conversation = NULL;
  g_autofree char *nobody = NULL;

  test_ws_ignore (visitor, "agents_online", NULL);

  /* the visitor on the page, who never wrote, hears from the agent */
  conversation_id = start_conversation (fixture->client, fixture->world->visitor_id,
                                        "Hello! Can I help you?", &error);
  g_assert_no_error (error);
  g_assert_nonnull (conversation_id);
  announced = test_ws_expect (visitor, "conversation", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (announced, "conversation.id"), ==, conversation_id);
  first = test_ws_expect (visitor, "message", TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (first, "conversation_id"), ==, conversation_id);
  g_assert_cmpstr (test_obj_string (first, "body"), ==, "Hello! Can I help you?");
  g_assert_cmpstr (test_obj_string (first, "sender.type"), ==, "agent");

  /* when it completes the cache has the conversation, the agent's own */
  conversation = confab_cache_get_conversation (fixture->cache, conversation_id);
  g_assert_nonnull (conversation);
  g_assert_cmpstr (confab_conversation_get_visitor_id (conversation), ==,
                   fixture->world->visitor_id);
  g_assert_cmpstr (confab_conversation_get_assignee_id (conversation), ==,
                   fixture->world->user_id);
  g_assert_cmpuint (confab_cache_outbox_length (fixture->cache), ==, 0);

  /* the reply lands there; a second start goes into the same conversation */
  test_visitor_say (visitor, "Yes please", &reply_conversation);
  g_assert_cmpstr (reply_conversation, ==, conversation_id);
  again = start_conversation (fixture->client, fixture->world->visitor_id, "Sure!", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, conversation_id);
  json_object_unref (test_ws_wait_for_match (visitor, "message", "body", "Sure!", TEST_TIMEOUT_MS));

  /* refusals: an unknown visitor, bad input, a visitor who left without a conversation */
  nobody = start_conversation (fixture->client, "vis_nobody", "Hello?", &error);
  g_assert_null (nobody);
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_RELAY);
  g_clear_error (&error);
  g_assert_null (start_conversation (fixture->client, fixture->world->visitor_id, "  ", &error));
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID);
  g_clear_error (&error);
  {
    g_autoptr (TestWs) passer_by = test_ws_widget (fixture->world->relay, fixture->world->site_key);
    g_autoptr (JsonObject) welcome = test_visitor_hello (passer_by, NULL, NULL, "https://a.test/x");
    VisitorRef ref = { fixture->cache, test_obj_string (welcome, "visitor_id") };

    test_ws_close (passer_by);
    g_assert_true (wait_until (visitor_gone, &ref, TEST_TIMEOUT_MS));
    g_assert_null (start_conversation (fixture->client, ref.visitor_id, "Hi?", &error));
    g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_VISITOR_OFFLINE);
    g_clear_error (&error);
  }

  /* offline: refused at once, nothing queued for later */
  confab_client_stop (fixture->client);
  g_assert_null (start_conversation (fixture->client, fixture->world->visitor_id, "Hi", &error));
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE);
  g_assert_cmpuint (confab_cache_outbox_length (fixture->cache), ==, 0);
}

typedef struct {
  ConfabCache *cache;
  const char  *id;
  const char  *status;     /* NULL: any */
  const char  *assignee;   /* "": nobody; NULL: any */
} Expect;

static gboolean
conversation_is (gpointer data)
{
  Expect *e = data;
  g_autoptr (ConfabConversation) c = confab_cache_get_conversation (e->cache, e->id);

  if (c == NULL)
    return FALSE;
  if (e->status != NULL && g_strcmp0 (confab_conversation_get_status (c), e->status) != 0)
    return FALSE;
  if (e->assignee != NULL &&
      g_strcmp0 (confab_conversation_get_assignee_id (c), *e->assignee ? e->assignee : NULL) != 0)
    return FALSE;
  return TRUE;
}

/* The agent's actions reach the relay and come back into the cache: the agent's typing is shown
 * to the visitor (without text), assign to me / nobody, pending, resolve, reopen. Offline they
 * are refused at once (they are live-only). */
static void
test_agent_actions (void)
{
  g_autoptr (Fixture) fixture = fixture_new ();
  g_autofree char *conversation_id = visitor_opens (fixture, "Can someone help me?");
  TestWs *visitor = fixture->world->visitor;
  const char *me = confab_client_get_user_id (fixture->client);
  g_autoptr (JsonObject) typing = NULL;
  g_autoptr (JsonObject) changed = NULL;
  g_autoptr (GError) error = NULL;
  Expect expect = { fixture->cache, conversation_id, NULL, NULL };

  g_assert_nonnull (me);
  g_assert_true (confab_client_send_typing (fixture->client, conversation_id, TRUE, &error));
  g_assert_no_error (error);
  typing = test_ws_wait_for (visitor, "typing", TEST_TIMEOUT_MS);
  g_assert_true (json_object_get_boolean_member (typing, "active"));
  g_assert_false (json_object_has_member (typing, "text"));
  g_clear_pointer (&typing, json_object_unref);
  g_assert_true (confab_client_send_typing (fixture->client, conversation_id, FALSE, &error));
  typing = test_ws_wait_for (visitor, "typing", TEST_TIMEOUT_MS);
  g_assert_false (json_object_get_boolean_member (typing, "active"));

  g_assert_true (confab_client_assign (fixture->client, conversation_id, me, &error));
  g_assert_no_error (error);
  expect.assignee = me;
  g_assert_true (wait_until (conversation_is, &expect, TEST_TIMEOUT_MS));
  g_assert_true (confab_client_assign (fixture->client, conversation_id, NULL, &error));
  expect.assignee = "";
  g_assert_true (wait_until (conversation_is, &expect, TEST_TIMEOUT_MS));

  expect.assignee = NULL;
  g_assert_true (confab_client_set_status (fixture->client, conversation_id, "pending", &error));
  expect.status = "pending";
  g_assert_true (wait_until (conversation_is, &expect, TEST_TIMEOUT_MS));
  g_assert_true (confab_client_set_status (fixture->client, conversation_id, "resolved", &error));
  expect.status = "resolved";
  g_assert_true (wait_until (conversation_is, &expect, TEST_TIMEOUT_MS));
  /* the visitor's page hears of it */
  changed = test_ws_wait_for_match (visitor, "conversation", "conversation.status", "resolved",
                                    TEST_TIMEOUT_MS);
  g_assert_true (confab_client_set_status (fixture->client, conversation_id, "open", &error));
  g_assert_no_error (error);
  expect.status = "open";
  g_assert_true (wait_until (conversation_is, &expect, TEST_TIMEOUT_MS));

  /* offline: refused at once, nothing queued */
  test_relay_stop (fixture->world->relay);
  g_assert_true (wait_until (is_not_online, fixture->client, 10000));
  g_assert_false (confab_client_set_status (fixture->client, conversation_id, "resolved", &error));
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE);
  g_clear_error (&error);
  g_assert_false (confab_client_assign (fixture->client, conversation_id, me, &error));
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_OFFLINE);
  g_assert_cmpuint (confab_cache_outbox_length (fixture->cache), ==, 0);
}

/* The longest wait the client schedules before trying again, ms. */
#define BACKOFF_CAP_MS 8000

/* Offline: waits until the client has scheduled a reconnect, then returns its wait (ms); the
 * longest one seen goes to @longest. */
static guint
next_wait (Fixture *fixture,
           guint   *longest)
{
  gint64 end = g_get_monotonic_time () + 40 * G_USEC_PER_SEC;
  guint delay;

  /* the attempt in progress fails first */
  while (confab_client_get_reconnect_delay (fixture->client) != 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  while ((delay = confab_client_get_reconnect_delay (fixture->client)) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  *longest = MAX (*longest, delay);
  return delay;
}

/* The relay is gone long enough for the backoff to grow (the report: ~107 s offline, then 24 s
 * more before delivery): no wait is ever longer than the cap, and once the relay is back on
 * the same address the client is online within it. */
static void
test_reconnect_cap (void)
{
  g_autoptr (Fixture) fixture = fixture_new ();
  guint longest = 0;
  gint64 back;

  test_relay_stop (fixture->world->relay);
  /* five failed attempts: 1, 2, 4, 8, 16 s before (with jitter over the upper half) */
  for (guint i = 0; i < 5; i++)
    {
      guint delay = next_wait (fixture, &longest);

      g_test_message ("attempt %u failed; next in %u ms", i + 1, delay);
      g_assert_cmpuint (delay, <=, BACKOFF_CAP_MS);
    }
  g_assert_cmpuint (longest, >=, BACKOFF_CAP_MS / 2);

  test_relay_start_same_port (fixture->world->relay);
  back = g_get_monotonic_time ();
  g_assert_true (wait_until (is_online, fixture->client, BACKOFF_CAP_MS + 2000));
  g_test_message ("online %" G_GINT64_FORMAT " ms after the relay came back",
                  (g_get_monotonic_time () - back) / 1000);
}

/* The network comes back (GNetworkMonitor::network-changed, available): the client tries at
 * once instead of sitting out its backoff. The signal is emitted on the default monitor, the
 * one the client listens to: a test cannot take the machine's network down for real. */
static void
test_reconnect_network_changed (void)
{
  g_autoptr (Fixture) fixture = fixture_new ();
  guint longest = 0;
  gint64 back;

  test_relay_stop (fixture->world->relay);
  /* until a wait of at least 4 s is scheduled */
  while (next_wait (fixture, &longest) < 4000)
    ;
  test_relay_start_same_port (fixture->world->relay);
  back = g_get_monotonic_time ();

  /* not available: nothing to try */
  g_signal_emit_by_name (g_network_monitor_get_default (), "network-changed", FALSE);
  g_assert_cmpuint (confab_client_get_reconnect_delay (fixture->client), >=, 4000);

  g_signal_emit_by_name (g_network_monitor_get_default (), "network-changed", TRUE);
  g_assert_true (wait_until (is_online, fixture->client, 2000));
  g_test_message ("online %" G_GINT64_FORMAT " ms after the network came back",
                  (g_get_monotonic_time () - back) / 1000);
  g_assert_cmpint (g_get_monotonic_time () - back, <, 3000 * 1000);

  /* online: a change of network only probes the connection, which answers */
  g_signal_emit_by_name (g_network_monitor_get_default (), "network-changed", TRUE);
  test_sleep_ms (500);
  g_assert_cmpint (confab_client_get_state (fixture->client), ==, CONFAB_CLIENT_ONLINE);
}

/* ---------------------------------------------------- catch-up pacing --- */

typedef struct {
  guint requests;   /* frames the client asked for */
  guint batches;    /* slices applied (one cache batch each) */
  guint list_changes; /* items-changed of an inbox list */
} Pacing;

static void
on_list_changed (GListModel *list,
                 guint       position,
                 guint       removed,
                 guint       added,
                 Pacing     *pacing)
{
  pacing->list_changes++;
}

static gboolean
pace_request (gpointer data)
{
  ((Pacing *) data)->requests++;
  return TRUE;
}

static void
on_batch_ended (ConfabCache *cache,
                Pacing      *pacing)
{
  pacing->batches++;
}

static void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
requests_at_least_one (gpointer data)
{
  return ((Pacing *) data)->requests >= 1;
}

static gboolean
batches_at_least (gpointer data)
{
  Pacing *pacing = ((gpointer *) data)[0];

  return pacing->batches >= GPOINTER_TO_UINT (((gpointer *) data)[1]);
}

/* A catch-up paced by the UI's frames (confab_client_set_frame_pacer): one slice, then the
 * next only once the frame asked for is painted, so the list view follows one change per
 * frame; a window that paints nothing (hidden) still gets a slice every 100 ms, and the whole
 * backlog lands, in order. */
static void
test_catchup_paced (void)
{
  g_autoptr (Fixture) fixture = g_new0 (Fixture, 1);
  g_autofree char *conversation_id = NULL;
  g_autoptr (ConfabMessageList) messages = NULL;
  g_autoptr (ConfabConversationList) inbox = NULL;
  g_autoptr (ConfabConversation) row = NULL;
  g_autoptr (GError) error = NULL;
  Pacing pacing = { 0, 0, 0 };
  guint changes_base;
  gpointer until[2] = { &pacing, NULL };
  const guint total = 1500;
  gint64 first;
  guint base;

  fixture->world = test_world_new ("[limits]\nmessages-per-minute=1000000\n"
                                   "messages-per-minute-per-ip=1000000\nframes-per-second=1000000\n"
                                   "frames-per-second-per-ip=1000000\n", TEST_WORLD_NO_AGENT);
  fixture->cache_path = g_build_filename (test_relay_tmp_dir (fixture->world->relay),
                                          "desktop", "cache.db", NULL);
  fixture->previews = g_ptr_array_new_with_free_func (g_free);
  fixture_open_client (fixture);
  error = sign_in (fixture->client, fixture->world->email, fixture->world->password);
  g_assert_no_error (error);

  /* a backlog far longer than one slice, waiting before the client connects */
  test_visitor_say (fixture->world->visitor, "m1", &conversation_id);
  for (guint i = 2; i <= total; i++)
    {
      g_autofree char *body = g_strdup_printf ("m%u", i);
      test_visitor_say (fixture->world->visitor, body, NULL);
    }
  messages = confab_message_list_new (fixture->cache, conversation_id);
  inbox = confab_conversation_list_new (fixture->cache);
  g_signal_connect (inbox, "items-changed", G_CALLBACK (on_list_changed), &pacing);

  g_signal_connect (fixture->cache, "batch-ended", G_CALLBACK (on_batch_ended), &pacing);
  confab_client_set_frame_pacer (fixture->client, pace_request, &pacing);
  /* a wait for the frame far longer than the app's 100 ms: "at once after the paint" and
   * "after the wait" stay apart however busy the machine is */
  confab_client_set_frame_wait (fixture->client, 1000);
  confab_client_start (fixture->client);
  /* the first slice asks for a frame; batches of the cache that are no slice (the site list,
   * the offline messages read once by REST) may come before it: count slices from there */
  g_assert_true (wait_until (requests_at_least_one, &pacing, TEST_TIMEOUT_MS));
  base = pacing.batches;
  changes_base = pacing.list_changes;
  g_assert_cmpuint (base, >=, 1);
  g_assert_cmpuint (pacing.requests, ==, 1);
  g_assert_cmpuint (n_messages (messages), <, total);

  /* no frame painted: no second slice for a while, then one after the wait (a window that
   * paints nothing, hidden, does not stop the catch-up) */
  first = g_get_monotonic_time ();
  iterate_for (300);
  g_assert_cmpuint (pacing.batches, ==, base);
  until[1] = GUINT_TO_POINTER (base + 1);
  g_assert_true (wait_until (batches_at_least, until, 5000));
  g_assert_cmpint (g_get_monotonic_time () - first, >=, 950 * 1000);
  g_assert_cmpuint (pacing.requests, ==, 2);

  /* the frame is painted: the next slice follows at once, long before the 100 ms */
  first = g_get_monotonic_time ();
  confab_client_frame_painted (fixture->client);
  until[1] = GUINT_TO_POINTER (base + 2);
  g_assert_true (wait_until (batches_at_least, until, 5000));
  g_assert_cmpint (g_get_monotonic_time () - first, <, 500 * 1000);
  g_assert_cmpuint (pacing.requests, ==, 3);
  until[1] = GUINT_TO_POINTER (base + 3);

  /* painting every frame asked for, the rest lands, every message once and in order */
  while (n_messages (messages) < total)
    {
      g_assert_true (wait_until (batches_at_least, until, TEST_TIMEOUT_MS));
      until[1] = GUINT_TO_POINTER (pacing.batches + 1);
      confab_client_frame_painted (fixture->client);
    }
  g_assert_true (wait_until (is_online, fixture->client, TEST_TIMEOUT_MS));
  g_assert_cmpuint (pacing.requests, >=, pacing.batches - base);
  /* The inbox does not follow every slice: it stays behind for a few and catches up in a turn
   * of its own (each change costs the list view about the same whatever it covers: it was
   * most of a catch-up's frames, bench/desktop-catchup.sh); and it is right at the end. */
  g_test_message ("%u slices, %u inbox changes", pacing.batches - base,
                  pacing.list_changes - changes_base);
  g_assert_cmpuint (pacing.list_changes - changes_base, >=, 1);
  g_assert_cmpuint ((pacing.list_changes - changes_base) * 2, <=, pacing.batches - base);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (inbox)), ==, 1);
  row = g_list_model_get_item (G_LIST_MODEL (inbox), 0);
  g_assert_cmpint (confab_conversation_get_last_seq (row), ==, total);
  for (guint i = 0; i < total; i += 149)
    {
      g_autoptr (ConfabMessage) message = nth_message (messages, i);
      g_autofree char *body = g_strdup_printf ("m%u", i + 1);

      g_assert_cmpstr (confab_message_get_body (message), ==, body);
    }
  confab_client_set_frame_pacer (fixture->client, NULL, NULL);
}

/* The app names itself and meson's version to the relay, as the relay does in its Server
 * header (issue 17): a stand-in server on loopback records what the sign-in sends. */
static void
record_user_agent (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  char **user_agent = user_data;
  const char *body = "{\"error\":{\"code\":\"invalid_credentials\",\"message\":\"no\"}}";

  g_free (*user_agent);
  *user_agent = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                        "User-Agent"));
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body, strlen (body));
  soup_server_message_set_status (msg, 401, NULL);
}

static void
test_user_agent (void)
{
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *user_agent = NULL;
  g_autofree char *tmp_dir = g_dir_make_tmp ("confab-ua-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmp_dir, "c.db", NULL);
  g_autofree char *url = NULL;
  g_autoptr (ConfabCache) cache = NULL;
  g_autoptr (ConfabClient) client = NULL;
  g_autoptr (GSList) uris = NULL;

  soup_server_add_handler (server, NULL, record_user_agent, &user_agent, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  cache = confab_cache_new (path, &error);
  g_assert_no_error (error);
  client = confab_client_new (cache, url);
  error = sign_in (client, "agent@example.org", "not the password");
  g_assert_nonnull (error);
  g_assert_cmpstr (user_agent, ==, "confab/" CONFAB_VERSION);

  g_clear_object (&client);
  g_clear_object (&cache);
  for (guint i = 0; i < 3; i++)
    {
      const char *suffixes[] = { "", "-wal", "-shm" };
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
  g_rmdir (tmp_dir);
}

int
main (int   argc,
      char *argv[])
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/desktop/core/sign-in", test_sign_in);
  test_harness_add ("/desktop/core/user-agent", test_user_agent);
  test_harness_add ("/desktop/core/receive-send", test_receive_send);
  test_harness_add ("/desktop/core/typing-preview", test_typing_preview);
  test_harness_add ("/desktop/core/outbox-offline", test_outbox_offline);
  test_harness_add ("/desktop/core/cache-reopen", test_cache_reopen);
  test_harness_add ("/desktop/core/resume-no-gaps", test_resume_no_gaps);
  test_harness_add ("/desktop/core/start-conversation", test_start_conversation);
  test_harness_add ("/desktop/core/agent-actions", test_agent_actions);
  test_harness_add ("/desktop/core/reconnect-cap", test_reconnect_cap);
  test_harness_add ("/desktop/core/reconnect-network-changed", test_reconnect_network_changed);
  test_harness_add ("/desktop/core/catchup-paced", test_catchup_paced);

  return g_test_run ();
}
