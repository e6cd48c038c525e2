/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-assistant.c: the assistant in the real app (issue 16), in-process under Xvfb
 * with a real keyring, against a real relay, driven by real X input (xdotool):
 *
 * - the sources line (links only for http(s), relative ones resolved against the relay, every
 *   title escaped), the cache keeping an assistant message's sources, the analytics answer's
 *   "assistant" read into the model;
 * - the Assistant page of the settings area: enable, name, tone and instructions typed and
 *   stored on the relay; the note when the relay has no assistant configured; a relay from
 *   before the assistant gets a note and no form;
 * - agent assist in a conversation: Ctrl+Shift+Space fills the composer with the suggested reply
 *   (nothing is sent) and shows its sources; a failing model is a toast in plain words;
 *   "Summarize" shows the paragraph in a card over the messages; without an assistant on the
 *   relay neither is offered;
 * - the assistant's messages labelled "Assistant" with their sources as links (one put into the
 *   cache, and the relay's own live answer to a visitor).
 *
 * The model is a local OpenAI-compatible stand-in started by the test (chat completions, plain
 * or streamed). The relay side of the assistant was built on another branch at the same time:
 * the tests that need it skip (saying so) on a relay without it.
 *
 * Every Gtk-CRITICAL or warning fails the test. */
#define G_LOG_DOMAIN "test-desktop-assistant"

#include <glib/gstdio.h>
#include <string.h>

#include "confab-admin-window.h"
#include "confab-analytics.h"
#include "confab-analytics-assistant.h"
#include "confab-assistant-page.h"
#include "confab-assistant-sources.h"
#include "confab-cache-assistant.h"
#include "confab-chat-view.h"
#include "test-desktop-app-util.h"

/* --------------------------------------------------- the model stand-in --- */

typedef enum {
  MODEL_ANSWERS,
  MODEL_FAILS,     /* HTTP 500 */
} ModelMode;

typedef struct {
  SoupServer *server;
  char       *url;
  ModelMode   mode;
  const char *reply;
  guint       requests;
  char       *last_request;
} Model;

/* One chat completion: a stream of two deltas when asked to stream, one message otherwise. */
static void
model_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  Model *model = user_data;
  SoupMessageBody *request = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (request);
  g_autoptr (JsonNode) node = json_from_string (g_bytes_get_data (bytes, NULL), NULL);
  gboolean stream = FALSE;

  model->requests++;
  g_free (model->last_request);
  model->last_request = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (model->mode == MODEL_FAILS)
    {
      soup_server_message_set_status (msg, 500, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                        "{\"error\":{\"message\":\"model crashed\"}}", 38);
      return;
    }
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    stream = json_object_get_boolean_member_with_default (json_node_get_object (node), "stream", FALSE);
  soup_server_message_set_status (msg, 200, NULL);
  if (stream)
    {
      g_autofree char *half = g_strndup (model->reply, strlen (model->reply) / 2);
      g_autoptr (JsonBuilder) one = json_builder_new ();
      g_autoptr (JsonBuilder) two = json_builder_new ();
      g_autofree char *first = NULL, *second = NULL, *text = NULL;
      g_autoptr (JsonNode) n1 = NULL, n2 = NULL;

      for (guint i = 0; i < 2; i++)
        {
          JsonBuilder *b = i == 0 ? one : two;

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "choices");
          json_builder_begin_array (b);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "delta");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "content");
          json_builder_add_string_value (b, i == 0 ? half : model->reply + strlen (half));
          json_builder_end_object (b);
          json_builder_end_object (b);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      n1 = json_builder_get_root (one);
      n2 = json_builder_get_root (two);
      first = json_to_string (n1, FALSE);
      second = json_to_string (n2, FALSE);
      text = g_strdup_printf ("data: %s\n\ndata: %s\n\ndata: [DONE]\n\n", first, second);
      soup_server_message_set_response (msg, "text/event-stream", SOUP_MEMORY_COPY, text, strlen (text));
    }
  else
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "choices");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "message");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, "assistant");
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, model->reply);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "finish_reason");
      json_builder_add_string_value (b, "stop");
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, FALSE);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
    }
}

static void
model_start (Model *model)
{
  g_autoptr (GError) error = NULL;
  GSList *uris;

  model->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (model->server, "/v1/chat/completions", model_cb, model, NULL);
  g_assert_true (soup_server_listen_local (model->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (model->server);
  model->url = g_strdup_printf ("http://127.0.0.1:%d/v1/chat/completions", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  model->mode = MODEL_ANSWERS;
}

static void
model_stop (Model *model)
{
  soup_server_disconnect (model->server);
  g_clear_object (&model->server);
  g_clear_pointer (&model->url, g_free);
  g_clear_pointer (&model->last_request, g_free);
}

static char *
assistant_config (Model *model)
{
  /* the help centre's public address: the articles the assistant cites link there */
  return g_strdup_printf ("[assistant]\nurl=%s\nmodel=stand-in\ntimeout-seconds=5\n"
                          "[help]\npublic-url=https://help.shop.example\n", model->url);
}

/* ------------------------------------------------------------ helpers --- */

static JsonObject *
get_site (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_response_object (response));
}

static gboolean
relay_has_assistant (TestWorld *world)
{
  g_autoptr (JsonObject) site = get_site (world);

  if (json_object_has_member (site, "assistant_available"))
    return TRUE;
  test_harness_skip ("the relay has no assistant yet (issue 16's relay side, branch assist)");
  return FALSE;
}

static GtkWindow *
open_settings (App       *app,
               GtkWidget *page)
{
  GtkWidget *window = adw_preferences_window_new ();

  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (app->window));
  gtk_window_set_default_size (GTK_WINDOW (window), 820, 760);
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (window), FALSE);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_present (GTK_WINDOW (window));
  main_window = window;
  x_focus (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

/* The first mapped widget named @name under @root (list rows hold hidden ones too). */
static GtkWidget *
find_mapped (GtkWidget  *root,
             const char *name)
{
  if (!gtk_widget_get_mapped (root))
    return NULL;
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_mapped (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct {
  GtkWidget  *root;
  const char *name;
} Where;

static gboolean
mapped_in (gpointer data)
{
  Where *w = data;

  return find_mapped (w->root, w->name) != NULL;
}

static GtkWidget *
wait_mapped (GtkWidget  *root,
             const char *name)
{
  Where w = { root, name };

  wait_until (name, mapped_in, &w);
  settle (100);
  return find_mapped (root, name);
}

static void
click_middle (GtkWidget *widget)
{
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

static char *
text_of (GtkWidget *widget)
{
  if (GTK_IS_TEXT_VIEW (widget))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget));
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  if (GTK_IS_LABEL (widget))
    return g_strdup (gtk_label_get_text (GTK_LABEL (widget)));
  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (widget)));
}

typedef struct {
  GtkWidget  *widget;
  const char *text;
} Typed;

static gboolean
has_text (gpointer data)
{
  Typed *t = data;
  g_autofree char *text = text_of (t->widget);

  return strstr (text, t->text) != NULL;
}

/* Clicks @widget, selects what it holds and types @text over it. */
static void
type_into (GtkWidget  *widget,
           const char *text)
{
  Typed t = { widget, text };

  click_middle (widget);
  x_key ("ctrl+a");
  x_type_text (text);
  wait_until ("the typed text", has_text, &t);
}

/* A mapped toast under @root saying something with @text in it. */
static gboolean
toast_says (GtkWidget  *root,
            const char *text)
{
  if (g_strcmp0 (gtk_widget_get_css_name (root), "toast") == 0 && gtk_widget_get_mapped (root))
    {
      for (GtkWidget *w = root; w != NULL;)
        {
          if (GTK_IS_LABEL (w) && strstr (gtk_label_get_text (GTK_LABEL (w)), text) != NULL)
            return TRUE;
          /* depth first through the toast */
          if (gtk_widget_get_first_child (w) != NULL)
            w = gtk_widget_get_first_child (w);
          else
            {
              while (w != root && gtk_widget_get_next_sibling (w) == NULL)
                w = gtk_widget_get_parent (w);
              w = w == root ? NULL : gtk_widget_get_next_sibling (w);
            }
        }
      return FALSE;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (toast_says (child, text))
      return TRUE;
  return FALSE;
}

static gboolean
toast_shown (gpointer data)
{
  AppText *at = data;

  return toast_says (GTK_WIDGET (at->app->window), at->text);
}

static gboolean
any_toast (GtkWidget *root)
{
  if (g_strcmp0 (gtk_widget_get_css_name (root), "toast") == 0 && gtk_widget_get_mapped (root))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (any_toast (child))
      return TRUE;
  return FALSE;
}

static gboolean
no_toast (gpointer data)
{
  return !any_toast (data);
}

static void
start_app (App       *app,
           TestWorld *world)
{
  app_start (app, world->relay, FALSE);
  app_activate (app);
  sign_in (app, world->relay, world->email, world->password);
}

/* -------------------------------------------------------- unit parts --- */

static void
test_sources_markup (void)
{
  g_autoptr (JsonNode) node = json_from_string (
    "[{\"title\":\"Returns & <exchanges>\",\"url\":\"/help/key/returns\"},"
    " {\"title\":\"What are your shipping times?\",\"url\":null},"
    " {\"title\":\"Evil\",\"url\":\"javascript:alert(1)\"},"
    " {\"title\":\"Abroad\",\"url\":\"https://help.example/abroad?a=1&b=2\"},"
    " {\"url\":\"https://no.title/\"}, 7]", NULL);
  g_autoptr (JsonNode) empty = json_from_string ("[]", NULL);
  g_autofree char *markup = confab_assistant_sources_markup (json_node_get_array (node),
                                                              "http://127.0.0.1:8080/");
  GtkWidget *label;

  gtk_init ();
  label = g_object_ref_sink (gtk_label_new (NULL));

  g_assert_nonnull (markup);
  /* it is markup a label takes (links are the label's own, not Pango's: a fault is a warning,
   * and warnings are fatal here) */
  gtk_label_set_markup (GTK_LABEL (label), markup);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, "Sources: Returns & <exchanges> · What are your shipping times? · Evil · Abroad");
  g_assert_nonnull (strstr (markup, "<a href=\"http://127.0.0.1:8080/help/key/returns\">Returns &amp; &lt;exchanges&gt;</a>"));
  g_assert_nonnull (strstr (markup, "<a href=\"https://help.example/abroad?a=1&amp;b=2\">Abroad</a>"));
  g_assert_null (strstr (markup, "javascript"));
  g_assert_null (strstr (markup, "no.title"));
  g_assert_null (confab_assistant_sources_markup (json_node_get_array (empty), NULL));
  g_assert_null (confab_assistant_sources_markup (NULL, NULL));
  g_object_unref (label);
}

static JsonObject *
message_frame (const char *json)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
test_cache_sources (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-assistant-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabCache) cache = confab_cache_new (path, &error);
  g_autoptr (JsonObject) answer = message_frame (
    "{\"type\":\"message\",\"conversation_id\":\"cnv_1\",\"seq\":2,\"body\":\"Within 3 days.\","
    " \"sender\":{\"type\":\"bot\",\"name\":\"Ava\"},\"assistant\":true,"
    " \"sources\":[{\"title\":\"Shipping\",\"url\":\"/help/k/shipping\",\"score\":3}],"
    " \"actions\":[{\"type\":\"talk_to_human\",\"label\":\"Talk to a person\"}],"
    " \"created_at\":\"2026-12-07T10:00:00Z\"}");
  g_autoptr (JsonObject) bare = message_frame (
    "{\"type\":\"message\",\"conversation_id\":\"cnv_1\",\"seq\":3,\"body\":\"I do not know.\","
    " \"sender\":{\"type\":\"bot\",\"name\":\"Ava\"},\"assistant\":true,"
    " \"created_at\":\"2026-12-07T10:00:01Z\"}");
  g_autoptr (JsonObject) faq = message_frame (
    "{\"type\":\"message\",\"conversation_id\":\"cnv_1\",\"seq\":4,\"body\":\"FAQ answer\","
    " \"sender\":{\"type\":\"bot\",\"name\":\"Bot\"},\"created_at\":\"2026-12-07T10:00:02Z\"}");
  g_autoptr (JsonArray) sources = NULL;
  g_autoptr (JsonArray) none = NULL;
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *kept = NULL;

  g_assert_no_error (error);
  g_assert_true (confab_cache_apply_message (cache, answer, 1, &error));
  g_assert_true (confab_cache_apply_message (cache, bare, 2, &error));
  g_assert_true (confab_cache_apply_message (cache, faq, 3, &error));
  g_assert_no_error (error);

  sources = confab_cache_dup_sources (cache, "cnv_1", 2);
  g_assert_nonnull (sources);
  json_node_set_array (root, sources);
  kept = json_to_string (root, FALSE);
  /* what a row shows, nothing else the relay adds */
  g_assert_cmpstr (kept, ==, "[{\"title\":\"Shipping\",\"url\":\"/help/k/shipping\"}]");
  none = confab_cache_dup_sources (cache, "cnv_1", 3);
  g_assert_nonnull (none);
  g_assert_cmpuint (json_array_get_length (none), ==, 0);
  g_assert_null (confab_cache_dup_sources (cache, "cnv_1", 4));
  g_assert_null (confab_cache_dup_sources (cache, "cnv_2", 2));

  /* the same message again (a replay) keeps one row */
  g_assert_true (confab_cache_apply_message (cache, answer, 4, &error));
  g_clear_pointer (&sources, json_array_unref);
  sources = confab_cache_dup_sources (cache, "cnv_1", 2);
  g_assert_cmpuint (json_array_get_length (sources), ==, 1);

  g_clear_object (&cache);
  g_unlink (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

static void
test_analytics_parse (void)
{
  const char *base =
    "{\"from\":\"2026-12-01\",\"to\":\"2026-12-07\",\"conversations\":4,"
    " \"messages\":{\"visitor\":3,\"agent\":2,\"bot\":5},\"per_day\":[],"
    " \"per_hour_of_week\":[[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
    "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
    "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
    "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]";
  g_autofree char *with = g_strconcat (base, ",\"assistant\":{\"answers\":12,\"handoffs\":3,"
                                             "\"helpful\":5,\"unhelpful\":1,\"failures\":2}}", NULL);
  g_autofree char *without = g_strconcat (base, "}", NULL);
  g_autofree char *wrong = g_strconcat (base, ",\"assistant\":{\"answers\":\"many\"}}", NULL);
  g_autoptr (GError) error = NULL;
  ConfabAnalytics *a;

  gtk_init ();
  a = confab_analytics_parse_data (with, strlen (with), &error);
  g_assert_no_error (error);
  g_assert_true (a->has_assistant);
  g_assert_cmpint (a->assistant_answers, ==, 12);
  g_assert_cmpint (a->assistant_handoffs, ==, 3);
  g_assert_cmpint (a->assistant_helpful, ==, 5);
  g_assert_cmpint (a->assistant_unhelpful, ==, 1);
  g_assert_cmpint (a->assistant_failures, ==, 2);
  {
    /* the cards: shown with the figures */
    GtkWidget *cards = g_object_ref_sink (confab_analytics_assistant_new ());

    g_assert_false (gtk_widget_get_visible (cards));
    confab_analytics_assistant_update (cards, a, NULL);
    g_assert_true (gtk_widget_get_visible (cards));
    {
      GtkWidget *card = find_named (cards, "assistant-handoffs");
      GtkWidget *value = gtk_widget_get_next_sibling (gtk_widget_get_first_child (card));
      GtkWidget *detail = gtk_widget_get_next_sibling (value);

      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (value)), ==, "3");
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (detail)), ==, "25% of its answers");
    }
    confab_analytics_free (a);
    a = confab_analytics_parse_data (without, strlen (without), &error);
    g_assert_no_error (error);
    g_assert_false (a->has_assistant);
    confab_analytics_assistant_update (cards, a, NULL);
    g_assert_false (gtk_widget_get_visible (cards));
    g_object_unref (cards);
  }
  confab_analytics_free (a);
  g_assert_null (confab_analytics_parse_data (wrong, strlen (wrong), &error));
  g_assert_error (error, CONFAB_ANALYTICS_ERROR, CONFAB_ANALYTICS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "assistant.answers"));
}

/* ------------------------------------------------ the settings page --- */

typedef struct {
  TestWorld  *world;
  const char *key;
  const char *value;  /* a string, or "true" for enabled */
} Stored;

static gboolean
relay_stored (gpointer data)
{
  Stored *s = data;
  g_autoptr (JsonObject) site = get_site (s->world);
  JsonObject *settings = json_object_get_object_member (site, "settings");
  JsonObject *assistant = settings != NULL && json_object_has_member (settings, "assistant")
                          ? json_object_get_object_member (settings, "assistant") : NULL;

  if (assistant == NULL || !json_object_has_member (assistant, s->key))
    return FALSE;
  if (g_str_equal (s->key, "enabled"))
    return json_object_get_boolean_member (assistant, "enabled") == g_str_equal (s->value, "true");
  return g_strcmp0 (json_object_get_string_member (assistant, s->key), s->value) == 0;
}

static GtkWidget *
open_assistant_page (App       *app,
                     TestWorld *world)
{
  GtkWidget *page = confab_assistant_page_new (client_of (app));

  g_object_set (page, "site-id", world->site_id, NULL);
  return GTK_WIDGET (open_settings (app, page));
}

/* A relay from before the assistant: the page says so and offers nothing to set. */
static void
test_settings_old_relay (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (JsonObject) site = get_site (world);
  App app = { 0 };
  GtkWidget *window;
  GtkWidget *note;

  if (json_object_has_member (site, "assistant_available"))
    {
      test_harness_skip ("the relay has the assistant: /desktop/assistant/settings covers it");
      return;
    }
  start_app (&app, world);
  window = open_assistant_page (&app, world);
  note = wait_mapped (window, "assistant-note");
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (note)), "version from before the assistant"));
  g_assert_null (find_mapped (window, "assistant-enabled"));
  g_assert_null (find_mapped (window, "assistant-instructions"));
  gtk_window_destroy (GTK_WINDOW (window));
  app_stop (&app);
}

static void
test_settings (void)
{
  Model model = { 0 };
  g_autofree char *config = NULL;
  g_autoptr (TestWorld) world = NULL;
  App app = { 0 };
  GtkWidget *window;
  GtkWidget *instructions;
  Stored s;

  model_start (&model);
  config = assistant_config (&model);
  world = test_world_new (config, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  if (!relay_has_assistant (world))
    {
      model_stop (&model);
      return;
    }
  start_app (&app, world);
  window = open_assistant_page (&app, world);

  /* a relay with a model: no note, the form */
  wait_mapped (window, "assistant-enabled");
  g_assert_null (find_mapped (window, "assistant-note"));

  click_middle (find_named (window, "assistant-enabled"));
  s = (Stored) { world, "enabled", "true" };
  wait_until ("the assistant enabled on the relay", relay_stored, &s);

  type_into (find_named (window, "assistant-name"), "Ava");
  x_key ("Return");
  s = (Stored) { world, "name", "Ava" };
  wait_until ("the name on the relay", relay_stored, &s);

  type_into (find_named (window, "assistant-tone"), "friendly and brief");
  x_key ("Return");
  s = (Stored) { world, "tone", "friendly and brief" };
  wait_until ("the tone on the relay", relay_stored, &s);
  /* the fields set before are still there: every change sends the whole setting */
  s = (Stored) { world, "name", "Ava" };
  g_assert_true (relay_stored (&s));

  instructions = find_named (window, "assistant-instructions");
  click_middle (instructions);
  {
    Typed t = { instructions, "Never promise delivery dates." };

    x_type_text ("Never promise delivery dates.");
    wait_until ("the first line", has_text, &t);
    x_key ("Return");
    t.text = "Answer in the visitor's language.";
    x_type_text ("Answer in the visitor's language.");
    wait_until ("the second line", has_text, &t);
  }
  g_assert_true (gtk_widget_get_sensitive (find_named (window, "assistant-instructions-save")));
  click_middle (find_named (window, "assistant-instructions-save"));
  s = (Stored) { world, "instructions", "Never promise delivery dates.\nAnswer in the visitor's language." };
  wait_until ("the instructions on the relay", relay_stored, &s);
  s = (Stored) { world, "enabled", "true" };
  g_assert_true (relay_stored (&s));
  /* the screenshot without the toast: a person would have read it by now */
  wait_until ("the toast gone", no_toast, window);
  settle (300);
  g_free (save_screenshot (window, "assistant-settings"));
  save_dark_and_narrow (GTK_WINDOW (window), "assistant-settings");
  gtk_window_destroy (GTK_WINDOW (window));
  app_stop (&app);
  model_stop (&model);
}

/* A relay without a model: the note says why nothing answers, the form stays. */
static void
test_settings_no_model (void)
{
  g_autoptr (TestWorld) bare = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  App app = { 0 };
  GtkWidget *window;

  if (!relay_has_assistant (bare))
    return;
  start_app (&app, bare);
  window = open_assistant_page (&app, bare);
  {
    GtkWidget *note = wait_mapped (window, "assistant-note");

    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (note)), "no assistant configured"));
    g_assert_nonnull (find_mapped (window, "assistant-enabled"));
  }
  gtk_window_destroy (GTK_WINDOW (window));
  app_stop (&app);
}

/* ------------------------------------------------------- agent assist --- */

static GtkWidget *
composer_of (App *app)
{
  return find_named (GTK_WIDGET (app->window), "composer");
}

static gboolean
composer_is (gpointer data)
{
  AppText *at = data;
  g_autofree char *text = text_of (composer_of (at->app));

  return g_strcmp0 (text, at->text) == 0;
}

static gboolean
label_is (gpointer data)
{
  Typed *t = data;

  return gtk_widget_get_mapped (t->widget) &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (t->widget)), t->text) == 0;
}

/* A mapped label reading @text (a menu item's) under @root. */
static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root) &&
      g_strcmp0 (gtk_label_get_text (GTK_LABEL (root)), text) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
label_anywhere (const char *text)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);
      GtkWidget *found = gtk_widget_get_visible (window) ? find_label (window, text) : NULL;

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
label_shown_anywhere (gpointer data)
{
  return label_anywhere (data) != NULL;
}

static gint64
agent_messages (TestWorld  *world,
                const char *conversation_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  JsonArray *messages;
  gint64 n = 0;

  test_assert_http_status (response, 200);
  messages = json_object_get_array_member (test_response_object (response), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);
      JsonObject *sender = json_object_get_object_member (m, "sender");

      if (g_strcmp0 (json_object_get_string_member (sender, "type"), "agent") == 0)
        n++;
    }
  return n;
}

static void
post (TestWorld  *world,
      const char *path,
      const char *body)
{
  g_autoptr (TestResponse) response = test_http (world->relay, "POST", path, world->token, body, NULL);

  test_assert_http_status (response, 201);
}

static gboolean
has_13_messages (gpointer data)
{
  AppText *at = data;
  g_autoptr (ConfabConversation) conversation =
    confab_cache_get_conversation (confab_account_get_cache (confab_window_get_account (at->app->window)),
                                   at->text);

  return conversation != NULL && confab_conversation_get_last_seq (conversation) >= 13;
}

static void
test_suggest_and_summary (void)
{
  Model model = { 0 };
  g_autofree char *config = NULL;
  g_autoptr (TestWorld) world = NULL;
  g_autoptr (TestWs) visitor = NULL;
  g_autofree char *conversation_id = NULL;
  const char *reply = "Orders to Germany arrive within 5 working days.";
  const char *summary = "The visitor asks how long shipping to Germany takes; no order number yet.";
  App app = { 0 };
  AppText at;
  GtkWidget *sources;
  Typed t;

  model_start (&model);
  model.reply = reply;
  config = assistant_config (&model);
  world = test_world_new (config, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  if (!relay_has_assistant (world))
    {
      model_stop (&model);
      return;
    }
  {
    g_autofree char *faqs = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
    g_autofree char *articles = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);

    post (world, faqs, "{\"question\":\"What are your shipping times?\","
                       "\"answer\":\"Orders ship within 2 working days.\",\"keywords\":[\"shipping\"]}");
    post (world, articles, "{\"title\":\"Shipping abroad\",\"published\":true,"
                           "\"body\":\"We ship to Germany and every EU country within 5 working days.\"}");
  }
  visitor = visitor_new (world->relay, world->site_key, "https://shop.example/cart", "Cart",
                         "Europe/Berlin", NULL, "How long does shipping to Germany take?", NULL,
                         &conversation_id);
  test_ws_ignore (visitor, "agents_online", "typing", "read", "message", "assistant_delta", NULL);

  start_app (&app, world);
  x_focus (GTK_WINDOW (app.window));
  at = (AppText) { &app, "1" };
  wait_until ("the conversation in the inbox", has_n_conversations, &at);
  confab_window_open_conversation (app.window, conversation_id);
  at = (AppText) { &app, conversation_id };
  wait_until ("the conversation", conversation_open, &at);
  wait_mapped (GTK_WIDGET (app.window), "assist-suggest");

  /* the shortcut, in the composer: the suggestion fills it, nothing is sent */
  click_middle (composer_of (&app));
  x_key ("ctrl+shift+space");
  at = (AppText) { &app, reply };
  wait_until ("the suggested reply in the composer", composer_is, &at);
  g_assert_cmpuint (model.requests, >=, 1);
  sources = wait_mapped (GTK_WIDGET (app.window), "assist-sources");
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (sources)), "Sources:"));
  /* the article or the FAQ the relay retrieved */
  g_assert_true (strstr (gtk_label_get_text (GTK_LABEL (sources)), "Shipping abroad") != NULL ||
                 strstr (gtk_label_get_text (GTK_LABEL (sources)), "What are your shipping times?") != NULL);
  /* an article is a link to the help centre */
  if (strstr (gtk_label_get_text (GTK_LABEL (sources)), "Shipping abroad") != NULL)
    g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (sources)),
                              "<a href=\"https://help.shop.example/help/"));
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (app.window), "assistant-suggested-reply"));
  settle (500);
  g_assert_cmpint (agent_messages (world, conversation_id), ==, 0);

  /* the agent edits it: still theirs to send */
  x_type_text (" Tracking follows by mail.");
  {
    g_autofree char *edited = g_strdup_printf ("%s Tracking follows by mail.", reply);

    at = (AppText) { &app, edited };
    wait_until ("the edit", composer_is, &at);
  }
  x_key ("ctrl+a");
  x_key ("BackSpace");
  at = (AppText) { &app, "" };
  wait_until ("the composer cleared", composer_is, &at);
  g_assert_null (find_mapped (GTK_WIDGET (app.window), "assist-sources"));
  /* the composer moves down in its place: the click waits for the new layout */
  settle (300);

  /* a failing model: plain words, the composer left alone */
  model.mode = MODEL_FAILS;
  click_middle (find_named (GTK_WIDGET (app.window), "assist-suggest"));
  at = (AppText) { &app, "could not answer" };
  wait_until ("the failure said in plain words", toast_shown, &at);
  at = (AppText) { &app, "" };
  g_assert_true (composer_is (&at));

  /* Summarize, from the conversation's menu */
  model.mode = MODEL_ANSWERS;
  model.reply = summary;
  click_middle (find_named (GTK_WIDGET (app.window), "conversation-actions"));
  wait_until ("the menu", label_shown_anywhere, (gpointer) "Summarize");
  settle (200);
  click_middle (label_anywhere ("Summarize"));
  t = (Typed) { find_named (GTK_WIDGET (app.window), "assist-summary-text"), summary };
  wait_until ("the summary over the messages", label_is, &t);
  wait_until ("the failure's toast gone", no_toast, app.window);
  settle (200);
  g_free (save_screenshot (GTK_WIDGET (app.window), "assistant-summary"));
  click_middle (find_named (GTK_WIDGET (app.window), "assist-summary-close"));
  {
    Where w = { GTK_WIDGET (app.window), "assist-summary-text" };

    while (mapped_in (&w))
      settle (50);
  }
  g_assert_cmpint (agent_messages (world, conversation_id), ==, 0);

  /* a long conversation (one taken over, say) is summarized by itself when opened, and once:
   * opened again with nothing new, the paragraph is the one of before */
  {
    g_autoptr (TestWs) long_visitor = NULL;
    g_autofree char *long_id = NULL;
    g_autofree char *path = NULL;
    const char *long_summary = "A customer wants to change the address of order 1042 before it ships.";
    guint asked;

    long_visitor = visitor_new (world->relay, world->site_key, "https://shop.example/orders", "Orders",
                                "Europe/Berlin", NULL, "I need to change my address.", NULL, &long_id);
    test_ws_ignore (long_visitor, "agents_online", "typing", "read", "message", "assistant_delta", NULL);
    path = g_strdup_printf ("/api/v1/conversations/%s/messages", long_id);
    for (guint i = 0; i < 12; i++)
      {
        g_autofree char *body = g_strdup_printf ("{\"body\":\"Step %u of checking the order\"}", i + 1);

        post (world, path, body);
      }
    model.reply = long_summary;
    at = (AppText) { &app, "2" };
    wait_until ("the long conversation in the inbox", has_n_conversations, &at);
    /* all of it in the app first: one that grows is summarized anew, as it should be */
    at = (AppText) { &app, long_id };
    wait_until ("the 13 messages in the app", has_13_messages, &at);
    confab_window_open_conversation (app.window, long_id);
    at = (AppText) { &app, long_id };
    wait_until ("the long conversation", conversation_open, &at);
    t = (Typed) { find_named (GTK_WIDGET (app.window), "assist-summary-text"), long_summary };
    wait_until ("the long conversation's summary, by itself", label_is, &t);
    asked = model.requests;
    confab_window_open_conversation (app.window, conversation_id);
    at = (AppText) { &app, conversation_id };
    wait_until ("the first conversation again", conversation_open, &at);
    confab_window_open_conversation (app.window, long_id);
    at = (AppText) { &app, long_id };
    wait_until ("the long conversation again", conversation_open, &at);
    wait_until ("the summary of before", label_is, &t);
    g_assert_cmpuint (model.requests, ==, asked);
  }

  app_stop (&app);
  model_stop (&model);
}

/* ------------------------------------------- the assistant's messages --- */

static gboolean
row_labelled (gpointer data)
{
  AppText *at = data;

  return find_label (GTK_WIDGET (at->app->window), at->text) != NULL;
}

/* An assistant's message in the conversation (put into the app's cache as the relay's message
 * frame carries it): labelled, its sources as links; and no agent assist offered on a relay
 * without a model. */
static void
test_assistant_message (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (TestWs) visitor = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *json = NULL;
  g_autoptr (JsonObject) frame = NULL;
  g_autoptr (GError) error = NULL;
  App app = { 0 };
  AppText at;
  GtkWidget *sources;

  visitor = visitor_new (world->relay, world->site_key, "https://shop.example/cart", "Cart",
                         "Europe/Berlin", NULL, "Can I return shoes?", NULL, &conversation_id);
  test_ws_ignore (visitor, "agents_online", "typing", "read", "message", NULL);
  start_app (&app, world);
  x_focus (GTK_WINDOW (app.window));
  at = (AppText) { &app, "1" };
  wait_until ("the conversation in the inbox", has_n_conversations, &at);
  confab_window_open_conversation (app.window, conversation_id);
  at = (AppText) { &app, conversation_id };
  wait_until ("the conversation", conversation_open, &at);

  json = g_strdup_printf ("{\"type\":\"message\",\"conversation_id\":\"%s\",\"seq\":40,"
                          "\"body\":\"Yes, within 30 days, unworn.\","
                          "\"sender\":{\"type\":\"bot\",\"name\":\"Ava\"},\"assistant\":true,"
                          "\"sources\":[{\"title\":\"Returns & exchanges\",\"url\":\"/help/%s/returns\"},"
                          "{\"title\":\"Can I return sale items?\",\"url\":null}],"
                          "\"created_at\":\"2026-12-07T10:00:00Z\"}", conversation_id, world->site_key);
  frame = message_frame (json);
  g_assert_true (confab_cache_apply_message (confab_account_get_cache (confab_window_get_account (app.window)),
                                             frame, 0, &error));
  g_assert_no_error (error);
  at = (AppText) { &app, "Ava · Assistant" };
  wait_until ("the assistant's label", row_labelled, &at);
  sources = wait_mapped (GTK_WIDGET (app.window), "message-sources");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (sources)), ==,
                   "Sources: Returns & exchanges · Can I return sale items?");
  {
    g_autofree char *link = g_strdup_printf ("<a href=\"%s/help/%s/returns\">",
                                             confab_client_get_relay_url (client_of (&app)), world->site_key);
    g_autofree char *link2 = g_strdup_printf ("<a href=\"%shelp/%s/returns\">",
                                              confab_client_get_relay_url (client_of (&app)), world->site_key);
    const char *markup = gtk_label_get_label (GTK_LABEL (sources));

    g_assert_true (strstr (markup, link) != NULL || strstr (markup, link2) != NULL);
  }
  /* the FAQ bot's own messages keep their plain label */
  g_assert_null (find_label (GTK_WIDGET (app.window), "Assistant"));

  /* no model on this relay: neither the button nor the menu item */
  settle (500);
  g_assert_null (find_mapped (GTK_WIDGET (app.window), "assist-suggest"));
  app_stop (&app);
}

/* The relay's own answer to a visitor, live: the message frame's "assistant" and "sources"
 * reach the row. */
static void
test_live_answer (void)
{
  Model model = { 0 };
  g_autofree char *config = NULL;
  g_autoptr (TestWorld) world = NULL;
  g_autoptr (TestWs) visitor = NULL;
  g_autofree char *conversation_id = NULL;
  App app = { 0 };
  AppText at;
  GtkWidget *sources;

  model_start (&model);
  model.reply = "Orders to Germany arrive within 5 working days.";
  config = assistant_config (&model);
  world = test_world_new (config, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  if (!relay_has_assistant (world))
    {
      model_stop (&model);
      return;
    }
  {
    g_autofree char *site = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
    g_autofree char *articles = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
    g_autoptr (TestResponse) patched = test_http (world->relay, "PATCH", site, world->token,
      "{\"settings\":{\"assistant\":{\"enabled\":true,\"name\":\"Ava\",\"tone\":\"brief\","
      "\"instructions\":\"\"}}}", NULL);

    test_assert_http_status (patched, 200);
    post (world, articles, "{\"title\":\"Shipping abroad\",\"published\":true,"
                           "\"body\":\"We ship to Germany and every EU country within 5 working days.\"}");
  }
  start_app (&app, world);
  x_focus (GTK_WINDOW (app.window));
  visitor = visitor_new (world->relay, world->site_key, "https://shop.example/cart", "Cart",
                         "Europe/Berlin", NULL, "How long does shipping to Germany take?", NULL,
                         &conversation_id);
  test_ws_ignore (visitor, "agents_online", "typing", "read", "message", "assistant_delta", NULL);
  at = (AppText) { &app, "1" };
  wait_until ("the conversation in the inbox", has_n_conversations, &at);
  confab_window_open_conversation (app.window, conversation_id);
  at = (AppText) { &app, conversation_id };
  wait_until ("the conversation", conversation_open, &at);
  at = (AppText) { &app, "Ava · Assistant" };
  wait_until ("the assistant's answer, labelled", row_labelled, &at);
  sources = wait_mapped (GTK_WIDGET (app.window), "message-sources");
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (sources)),
                            "<a href=\"https://help.shop.example/help/"));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (sources)), "Shipping abroad"));
  app_stop (&app);
  model_stop (&model);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GTK_USE_PORTAL", "0", TRUE);
  g_setenv ("GTK_A11Y", "test", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  test_harness_init (&argc, &argv);
  test_harness_add ("/desktop/assistant/sources-markup", test_sources_markup);
  test_harness_add ("/desktop/assistant/cache-sources", test_cache_sources);
  test_harness_add ("/desktop/assistant/analytics", test_analytics_parse);
  test_harness_add ("/desktop/assistant/settings-old-relay", test_settings_old_relay);
  test_harness_add ("/desktop/assistant/assistant-message", test_assistant_message);
  test_harness_add ("/desktop/assistant/settings", test_settings);
  test_harness_add ("/desktop/assistant/settings-no-model", test_settings_no_model);
  test_harness_add ("/desktop/assistant/suggest-and-summary", test_suggest_and_summary);
  test_harness_add ("/desktop/assistant/live-answer", test_live_answer);
  return g_test_run ();
}
