/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-assistant.c: the assistant.
 *
 * A visitor's message goes through retrieval first (the FAQ bot's FTS5 candidates and its
 * 0–100 score, and the published articles bm25 finds, scored alike): without a passage that
 * knows the visitor's words the model is never asked, and the visitor gets "I don't know" with
 * the way to a person. Otherwise the model gets the passages, numbered, and the conversation
 * so far, with the rule that it answers from them only. Its answer streams (SSE, OpenAI's
 * chat-completions "stream":true) into the visitor's tabs as assistant_delta frames, at most
 * every 100 ms (the tabs on other relays of a cluster get them over Redis, fewer of them), and
 * is then stored as a bot message whose "stream_id" replaces the draft.
 * Anything going wrong with the model (unreachable, no first token in time, an HTTP error, a
 * stream that is not one) is the FAQ bot's turn: the visitor never sees an error from here.
 */
#define G_LOG_DOMAIN "confab-assistant"

#include "confab-assistant.h"
#include "confab-api-chat.h"
#include "confab-faq.h"
#include "confab-help.h"
#include "confab-hub.h"
#include "confab-json.h"
#include "confab-metrics.h"
#include "confab-objects.h"
#include "confab-store-assistant.h"
#include "confab-store-kb.h"
#include "confab-util.h"

#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#define MAX_PASSAGES         5
#define MIN_PASSAGE_SCORE    30       /* the FAQ bot's score: a third of the visitor's words known */
#define MAX_PASSAGE_CHARS    3000
#define HISTORY_MESSAGES     20
#define SUMMARY_MESSAGES     60
#define MAX_ANSWER_BYTES     (64 * 1024)
#define MAX_LINE_BYTES       (256 * 1024)
#define DELTA_INTERVAL_MS    100
/* The tabs of the visitor on other relays get the draft over Redis at most every BUS_DELTA_MS,
 * or every BUS_DELTA_SHARE-th of the time the answer has been written when that is longer: a
 * long answer costs Redis a few dozen messages, not one per DELTA_INTERVAL_MS. */
#define BUS_DELTA_MS         500
#define BUS_DELTA_SHARE      16
#define DEFAULT_NAME         "Assistant"
#define TALK_TO_HUMAN_LABEL  "Talk to a person"
#define DONT_KNOW_TEXT       "I'm sorry, I don't know the answer to that. Would you like to talk to a person?"
/* ... when nobody of the team could take over (confab_assistant_ask_email ()) */
#define DONT_KNOW_ALONE_TEXT "I'm sorry, I don't know the answer to that, and nobody of the team is available right now."
#define NOBODY_TEXT          "Nobody of the team is available right now."

G_DEFINE_QUARK (confab-assistant-error-quark, confab_assistant_error)

#define MIN_COSINE           0.75     /* embeddings: a passage this close counts */
#define MAX_EMBED_BATCH      64

struct _ConfabAssistant {
  ConfabRelay *relay;
  SoupSession *session;
  SoupSession *embed_session; /* [assistant] timeout-seconds for the whole request */
  GHashTable  *running;   /* conversation id → Answer*: one answer at a time per conversation */
  GHashTable  *sweeping;  /* site ids whose vectors are being computed */
  GHashTable  *resweep;   /* ... and whose FAQs or articles changed meanwhile */
  GCancellable *sweeps;   /* cancelled when the relay goes away */
};

/* --- settings --- */

typedef struct {
  gboolean  enabled;
  char     *name;
  char     *tone;
  char     *instructions;
} Settings;

static void
settings_clear (Settings *settings)
{
  g_free (settings->name);
  g_free (settings->tone);
  g_free (settings->instructions);
}

static void
read_settings (const ConfabSite *site,
               Settings         *out)
{
  g_autoptr (JsonObject) settings = NULL;
  JsonObject *assistant = NULL;
  const char *text = NULL;

  memset (out, 0, sizeof *out);
  if (site->settings_json != NULL)
    settings = confab_json_parse_object (site->settings_json, strlen (site->settings_json),
                                         G_MAXSIZE, 32, NULL);
  if (settings != NULL)
    confab_json_get_object (settings, "assistant", FALSE, &assistant, NULL);
  if (assistant != NULL)
    {
      confab_json_get_bool (assistant, "enabled", FALSE, FALSE, &out->enabled, NULL);
      if (confab_json_get_string (assistant, "name", FALSE, &text, NULL) && text != NULL && *text)
        out->name = g_strdup (text);
      if (confab_json_get_string (assistant, "tone", FALSE, &text, NULL) && text != NULL && *text)
        out->tone = g_strdup (text);
      if (confab_json_get_string (assistant, "instructions", FALSE, &text, NULL) && text != NULL && *text)
        out->instructions = g_strdup (text);
    }
  if (out->name == NULL)
    out->name = g_strdup (DEFAULT_NAME);
}

gboolean
confab_assistant_valid_settings (JsonNode  *node,
                                 char     **message)
{
  static const struct { const char *key; glong max; } texts[] = {
    { "name", 60 }, { "tone", 200 }, { "instructions", 4000 },
  };
  JsonObject *object;
  g_autoptr (GList) names = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  object = json_node_get_object (node);
  names = json_object_get_members (object);
  for (GList *l = names; l; l = l->next)
    {
      JsonNode *member = json_object_get_member (object, l->data);
      GType type = JSON_NODE_HOLDS_VALUE (member) ? json_node_get_value_type (member) : G_TYPE_INVALID;
      gboolean known = FALSE;

      if (strcmp (l->data, "enabled") == 0)
        {
          if (type != G_TYPE_BOOLEAN)
            goto bad;
          continue;
        }
      for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
        if (strcmp (l->data, texts[i].key) == 0)
          {
            known = TRUE;
            if (type != G_TYPE_STRING || confab_utf8_length (json_node_get_string (member)) > texts[i].max)
              {
                *message = g_strdup_printf ("“assistant.%s” must be text of at most %ld characters",
                                            texts[i].key, texts[i].max);
                return FALSE;
              }
          }
      if (!known)
        goto bad;
    }
  return TRUE;

bad:
  *message = g_strdup ("“assistant” must be an object of “enabled” (true or false), “name” (at most "
                       "60 characters), “tone” (at most 200) and “instructions” (at most 4000)");
  return FALSE;
}

JsonObject *
confab_assistant_widget_config (ConfabAssistant  *assistant,
                                const ConfabSite *site)
{
  JsonObject *object = json_object_new ();
  Settings settings;

  read_settings (site, &settings);
  json_object_set_boolean_member (object, "enabled",
                                  settings.enabled && confab_assistant_available (assistant));
  json_object_set_string_member (object, "name", settings.name);
  settings_clear (&settings);
  return object;
}

/* --- the endpoint: one chat completion, streamed --- */

typedef void (*DeltaFunc) (const char *text,
                           gpointer    user_data);

typedef struct {
  GTask            *task;        /* its result: the whole text */
  SoupMessage      *msg;
  GDataInputStream *lines;
  GCancellable     *cancellable; /* the task's: the timer and the caller cancel through it */
  GString          *text;
  guint             timer;
  guint             timeout;     /* seconds */
  gboolean          timed_out;
  DeltaFunc         on_delta;
  gpointer          delta_data;
} Call;

static void
call_free (Call *call)
{
  g_clear_handle_id (&call->timer, g_source_remove);
  g_clear_object (&call->msg);
  g_clear_object (&call->lines);
  g_clear_object (&call->cancellable);
  g_string_free (call->text, TRUE);
  g_free (call);
}

static gboolean
call_timed_out (gpointer user_data)
{
  Call *call = user_data;

  call->timer = 0;
  call->timed_out = TRUE;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

/* The first token must come within the timeout, and so must each next line. */
static void
call_restart_timer (Call *call)
{
  g_clear_handle_id (&call->timer, g_source_remove);
  call->timer = g_timeout_add_seconds (call->timeout, call_timed_out, call);
}

static void
call_fail (Call       *call,
           GError     *error)
{
  GTask *task = call->task;

  g_clear_handle_id (&call->timer, g_source_remove);
  if (call->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_TIMEOUT,
                           "The assistant's endpoint gave no answer within %u seconds", call->timeout);
    }
  else if (error->domain != CONFAB_ASSISTANT_ERROR && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      GError *wrapped = g_error_new (CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                                     "The assistant's endpoint failed: %s", error->message);
      g_error_free (error);
      error = wrapped;
    }
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void read_next_line (Call *call);

/* One SSE line. FALSE with @error when the stream is not what OpenAI's API sends. */
static gboolean
call_take_line (Call        *call,
                const char  *line,
                gboolean    *out_done,
                GError     **error)
{
  g_autoptr (JsonObject) chunk = NULL;
  JsonNode *choices, *first, *delta, *content;

  *out_done = FALSE;
  /* blank lines end events; comments, "event:", "id:", "retry:" carry nothing we need */
  if (!g_str_has_prefix (line, "data:"))
    return TRUE;
  line += strlen ("data:");
  while (*line == ' ')
    line++;
  if (strcmp (line, "[DONE]") == 0)
    {
      *out_done = TRUE;
      return TRUE;
    }

  chunk = confab_json_parse_object (line, strlen (line), MAX_LINE_BYTES, 32, NULL);
  if (chunk == NULL)
    {
      g_set_error_literal (error, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                           "The assistant's endpoint sent a malformed stream");
      return FALSE;
    }
  if (json_object_has_member (chunk, "error"))
    {
      g_set_error_literal (error, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                           "The assistant's endpoint reported an error in its stream");
      return FALSE;
    }

  choices = json_object_get_member (chunk, "choices");
  if (choices == NULL || !JSON_NODE_HOLDS_ARRAY (choices))
    {
      g_set_error_literal (error, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                           "The assistant's endpoint sent a chunk without choices");
      return FALSE;
    }
  if (json_array_get_length (json_node_get_array (choices)) == 0)
    return TRUE;
  first = json_array_get_element (json_node_get_array (choices), 0);
  delta = JSON_NODE_HOLDS_OBJECT (first) ? json_object_get_member (json_node_get_object (first), "delta") : NULL;
  content = delta && JSON_NODE_HOLDS_OBJECT (delta) ? json_object_get_member (json_node_get_object (delta), "content") : NULL;
  if (content == NULL || JSON_NODE_HOLDS_NULL (content))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (content) || json_node_get_value_type (content) != G_TYPE_STRING)
    {
      g_set_error_literal (error, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                           "The assistant's endpoint sent a chunk whose content is no text");
      return FALSE;
    }
  if (call->text->len + strlen (json_node_get_string (content)) > MAX_ANSWER_BYTES)
    {
      g_set_error_literal (error, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                           "The assistant's answer is too long");
      return FALSE;
    }
  if (*json_node_get_string (content) == '\0')
    return TRUE;

  g_string_append (call->text, json_node_get_string (content));
  if (call->on_delta != NULL)
    call->on_delta (call->text->str, call->delta_data);
  return TRUE;
}

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;
  GError *error = NULL;
  gsize length = 0;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result,
                                                                &length, &error);
  gboolean done = FALSE;

  if (error != NULL)
    return call_fail (call, error);
  if (line == NULL)
    {
      /* the end without [DONE]: cut off, whatever came before */
      return call_fail (call, g_error_new_literal (CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                                                   "The assistant's stream ended before [DONE]"));
    }
  if (length > MAX_LINE_BYTES || !g_utf8_validate (line, length, NULL))
    return call_fail (call, g_error_new_literal (CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                                                 "The assistant's endpoint sent a malformed stream"));
  g_strchomp (line);

  if (!call_take_line (call, line, &done, &error))
    return call_fail (call, error);
  if (done)
    {
      GTask *task = call->task;

      g_clear_handle_id (&call->timer, g_source_remove);
      if (call->text->len == 0)
        return call_fail (call, g_error_new_literal (CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                                                     "The assistant's endpoint sent an empty answer"));
      g_task_return_pointer (task, g_strdup (g_strstrip (call->text->str)), g_free);
      g_object_unref (task);
      return;
    }
  call_restart_timer (call);
  read_next_line (call);
}

static void
read_next_line (Call *call)
{
  g_data_input_stream_read_line_async (call->lines, G_PRIORITY_DEFAULT, call->cancellable,
                                       line_read, call);
}

static void
sent (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  Call *call = user_data;
  GError *error = NULL;
  g_autoptr (GInputStream) stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  guint status;

  if (stream == NULL)
    return call_fail (call, error);
  status = soup_message_get_status (call->msg);
  if (status != SOUP_STATUS_OK)
    return call_fail (call, g_error_new (CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                                         "The assistant's endpoint answered HTTP %u", status));

  call->lines = g_data_input_stream_new (stream);
  g_data_input_stream_set_newline_type (call->lines, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  read_next_line (call);
}

/* A chat completion of @messages (OpenAI's [{"role","content"}]); @on_delta hears the text so
 * far after each token. The task's result is the whole text. */
static void
chat_async (ConfabAssistant     *assistant,
            JsonArray           *messages,
            guint                max_tokens,
            DeltaFunc            on_delta,
            gpointer             delta_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  ConfabConfig *config = assistant->relay->config;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *headers;
  Call *call;

  call = g_new0 (Call, 1);
  call->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  call->task = g_task_new (NULL, call->cancellable, callback, user_data);
  /* a timeout cancels too, and is told as one: the error is ours to choose */
  g_task_set_check_cancellable (call->task, FALSE);
  g_task_set_task_data (call->task, call, (GDestroyNotify) call_free);
  call->text = g_string_new (NULL);
  call->timeout = config->assistant_timeout;
  call->on_delta = on_delta;
  call->delta_data = delta_data;

  if (config->assistant_url == NULL)
    {
      GTask *task = call->task;

      g_task_return_new_error (task, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_UNAVAILABLE,
                               "This relay has no assistant");
      g_object_unref (task);
      return;
    }

  if (config->assistant_model != NULL && *config->assistant_model != '\0')
    json_object_set_string_member (body, "model", config->assistant_model);
  json_object_set_array_member (body, "messages", json_array_ref (messages));
  json_object_set_boolean_member (body, "stream", TRUE);
  json_object_set_int_member (body, "max_tokens", max_tokens);
  json_object_set_double_member (body, "temperature", 0.2);
  text = confab_json_object_to_string (body);
  bytes = g_bytes_new (text, strlen (text));

  call->msg = soup_message_new ("POST", config->assistant_url);
  if (call->msg == NULL)
    {
      GTask *task = call->task;

      g_task_return_new_error (task, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                               "[assistant] url is not a URL libsoup takes");
      g_object_unref (task);
      return;
    }
  soup_message_set_request_body_from_bytes (call->msg, "application/json", bytes);
  headers = soup_message_get_request_headers (call->msg);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");
  if (config->assistant_api_key != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", config->assistant_api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", authorization);
    }

  call_restart_timer (call);
  soup_session_send_async (assistant->session, call->msg, G_PRIORITY_DEFAULT, call->cancellable,
                           sent, call);
}

static char *
chat_finish (GAsyncResult     *result,
             GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- embeddings --- */

static gboolean
embeddings_on (ConfabAssistant *assistant)
{
  return assistant->relay->config->assistant_url != NULL &&
         assistant->relay->config->assistant_embeddings_url != NULL;
}

static void
embedded (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  guint expected = GPOINTER_TO_UINT (g_task_get_task_data (task));
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  GError *error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GPtrArray) vectors = NULL;
  JsonNode *data;
  gsize dims = 0;

  if (body == NULL)
    goto failed;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      error = g_error_new (CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                           "The embeddings endpoint answered HTTP %u", soup_message_get_status (msg));
      goto failed;
    }
  answer = confab_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                     64 * 1024 * 1024, 16, NULL);
  data = answer ? json_object_get_member (answer, "data") : NULL;
  if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data) ||
      json_array_get_length (json_node_get_array (data)) != expected)
    goto malformed;

  vectors = g_ptr_array_new_full (expected, (GDestroyNotify) g_bytes_unref);
  g_ptr_array_set_size (vectors, expected);
  for (guint i = 0; i < expected; i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (data), i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      JsonNode *embedding = object ? json_object_get_member (object, "embedding") : NULL;
      gint64 index = object && json_object_has_member (object, "index")
                     ? json_object_get_int_member (object, "index") : i;
      JsonArray *numbers;
      float *vector;

      if (embedding == NULL || !JSON_NODE_HOLDS_ARRAY (embedding) || index < 0 ||
          index >= expected || g_ptr_array_index (vectors, index) != NULL)
        goto malformed;
      numbers = json_node_get_array (embedding);
      if (json_array_get_length (numbers) == 0 || (dims != 0 && json_array_get_length (numbers) != dims))
        goto malformed;
      dims = json_array_get_length (numbers);
      vector = g_new (float, dims);
      for (guint d = 0; d < dims; d++)
        {
          JsonNode *number = json_array_get_element (numbers, d);

          if (!JSON_NODE_HOLDS_VALUE (number) ||
              (json_node_get_value_type (number) != G_TYPE_DOUBLE &&
               json_node_get_value_type (number) != G_TYPE_INT64))
            {
              g_free (vector);
              goto malformed;
            }
          /* little-endian, as stored; this is what x86 and ARM hosts hold anyway */
          vector[d] = (float) json_node_get_double (number);
        }
      vectors->pdata[index] = g_bytes_new_take (vector, dims * sizeof (float));
    }
  g_task_return_pointer (task, g_steal_pointer (&vectors), (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
  return;

malformed:
  error = g_error_new_literal (CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                               "The embeddings endpoint sent a malformed answer");
failed:
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* The vectors (GBytes of float32) of @texts, in their order. */
static void
embed_async (ConfabAssistant     *assistant,
             GPtrArray           *texts,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  ConfabConfig *config = assistant->relay->config;
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (JsonObject) body = json_object_new ();
  JsonArray *input = json_array_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *text = NULL;

  g_task_set_task_data (task, GUINT_TO_POINTER (texts->len), NULL);
  if (config->assistant_embeddings_model != NULL && *config->assistant_embeddings_model != '\0')
    json_object_set_string_member (body, "model", config->assistant_embeddings_model);
  for (guint i = 0; i < texts->len; i++)
    json_array_add_string_element (input, g_ptr_array_index (texts, i));
  json_object_set_array_member (body, "input", input);
  text = confab_json_object_to_string (body);
  bytes = g_bytes_new (text, strlen (text));

  msg = soup_message_new ("POST", config->assistant_embeddings_url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_FAILED,
                               "[assistant] embeddings-url is not a URL libsoup takes");
      g_object_unref (task);
      return;
    }
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  if (config->assistant_api_key != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", config->assistant_api_key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", authorization);
    }
  soup_session_send_and_read_async (assistant->embed_session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    embedded, task);
}

static GPtrArray *
embed_finish (GAsyncResult  *result,
              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* What is embedded of an FAQ or article, and its hash (with the model: a new model, new vectors). */
static char *
faq_text (const ConfabFaq *faq)
{
  return g_strconcat (faq->question, "\n", faq->answer, NULL);
}

static char *
article_text (const ConfabArticle *article)
{
  g_autofree char *body = g_utf8_substring (article->body, 0, MIN (g_utf8_strlen (article->body, -1), MAX_PASSAGE_CHARS));

  return g_strconcat (article->title, "\n", body, NULL);
}

static char *
text_hash (ConfabAssistant *assistant,
           const char      *text)
{
  const char *model = assistant->relay->config->assistant_embeddings_model;
  g_autofree char *both = g_strconcat (model ? model : "", "\n", text, NULL);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, both, -1);
}

typedef struct {
  ConfabAssistant *assistant;
  char            *site_id;
  GPtrArray       *kinds;     /* char*, "faq" or "article" */
  GPtrArray       *ids;
  GPtrArray       *hashes;
  GPtrArray       *texts;
} Sweep;

static void
sweep_free (Sweep *sweep)
{
  g_free (sweep->site_id);
  g_ptr_array_unref (sweep->kinds);
  g_ptr_array_unref (sweep->ids);
  g_ptr_array_unref (sweep->hashes);
  g_ptr_array_unref (sweep->texts);
  g_free (sweep);
}

static void sweep_site (ConfabAssistant *assistant,
                        const char      *site_id);

static void
swept (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  Sweep *sweep = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) vectors = embed_finish (result, &error);
  gboolean again;

  /* the relay is going away: sweep->assistant is no more */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto done;
  g_hash_table_remove (sweep->assistant->sweeping, sweep->site_id);
  again = g_hash_table_remove (sweep->assistant->resweep, sweep->site_id);
  if (vectors == NULL)
    {
      /* no retry loop on a failing endpoint: the next change or question tries again */
      confab_metrics_inc (CONFAB_METRIC_ASSISTANT_FAILURES);
      g_warning ("No embeddings for site %s: %s", sweep->site_id, error->message);
      goto done;
    }
  for (guint i = 0; i < vectors->len; i++)
    if (!confab_store_set_embedding (sweep->assistant->relay->store, sweep->site_id,
                                     g_ptr_array_index (sweep->kinds, i), g_ptr_array_index (sweep->ids, i),
                                     g_ptr_array_index (sweep->hashes, i), g_ptr_array_index (vectors, i),
                                     &error))
      {
        g_warning ("Embedding not stored for site %s: %s", sweep->site_id, error->message);
        break;
      }
  g_debug ("Embedded %u FAQs and articles of site %s", vectors->len, sweep->site_id);
  /* a change came while this batch was made, or there is more than one batch to make */
  if (error == NULL && (again || vectors->len == MAX_EMBED_BATCH))
    sweep_site (sweep->assistant, sweep->site_id);

done:
  sweep_free (sweep);
}

static void
sweep_add (Sweep      *sweep,
           GHashTable *stored,
           const char *kind,
           const char *id,
           char       *text)
{
  g_autofree char *key = g_strconcat (kind, ":", id, NULL);
  char *hash = text_hash (sweep->assistant, text);

  if (sweep->texts->len >= MAX_EMBED_BATCH || g_strcmp0 (g_hash_table_lookup (stored, key), hash) == 0)
    {
      g_free (hash);
      g_free (text);
      return;
    }
  g_ptr_array_add (sweep->kinds, g_strdup (kind));
  g_ptr_array_add (sweep->ids, g_strdup (id));
  g_ptr_array_add (sweep->hashes, hash);
  g_ptr_array_add (sweep->texts, text);
}

/* Computes, in the background, the vectors of the site's FAQs and published articles that have
 * none or whose text changed since; what is left over (more than MAX_EMBED_BATCH) is the next
 * sweep's. */
static void
sweep_site (ConfabAssistant *assistant,
            const char      *site_id)
{
  ConfabStore *store = assistant->relay->store;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) faqs = NULL;
  g_autoptr (GPtrArray) articles = NULL;
  g_autoptr (GPtrArray) embeddings = NULL;
  g_autoptr (GHashTable) stored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Sweep *sweep;

  if (!embeddings_on (assistant))
    return;
  if (g_hash_table_contains (assistant->sweeping, site_id))
    {
      /* this one may have read the texts before the change: one more when it is done */
      g_hash_table_add (assistant->resweep, g_strdup (site_id));
      return;
    }
  faqs = confab_store_list_faqs (store, site_id, &error);
  if (faqs != NULL)
    articles = confab_store_list_articles (store, site_id, TRUE, &error);
  if (articles != NULL)
    embeddings = confab_store_list_embeddings (store, site_id, &error);
  if (embeddings == NULL)
    {
      g_warning ("No embeddings for site %s: %s", site_id, error->message);
      return;
    }
  for (guint i = 0; i < embeddings->len; i++)
    {
      ConfabEmbedding *embedding = g_ptr_array_index (embeddings, i);

      g_hash_table_insert (stored, g_strconcat (embedding->kind, ":", embedding->item_id, NULL),
                           g_strdup (embedding->hash));
    }

  sweep = g_new0 (Sweep, 1);
  sweep->assistant = assistant;
  sweep->site_id = g_strdup (site_id);
  sweep->kinds = g_ptr_array_new_with_free_func (g_free);
  sweep->ids = g_ptr_array_new_with_free_func (g_free);
  sweep->hashes = g_ptr_array_new_with_free_func (g_free);
  sweep->texts = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < faqs->len; i++)
    {
      ConfabFaq *faq = g_ptr_array_index (faqs, i);

      sweep_add (sweep, stored, "faq", faq->id, faq_text (faq));
    }
  for (guint i = 0; i < articles->len; i++)
    {
      ConfabArticle *article = g_ptr_array_index (articles, i);

      sweep_add (sweep, stored, "article", article->id, article_text (article));
    }
  if (sweep->texts->len == 0)
    {
      sweep_free (sweep);
      return;
    }
  g_hash_table_add (assistant->sweeping, g_strdup (site_id));
  embed_async (assistant, sweep->texts, assistant->sweeps, swept, sweep);
}

static double
cosine (GBytes *a,
        GBytes *b)
{
  gsize size_a = 0, size_b = 0;
  const float *x = g_bytes_get_data (a, &size_a);
  const float *y = g_bytes_get_data (b, &size_b);
  double dot = 0, norm_x = 0, norm_y = 0;

  if (size_a != size_b || size_a == 0)
    return 0;
  for (gsize i = 0; i < size_a / sizeof (float); i++)
    {
      dot += (double) x[i] * y[i];
      norm_x += (double) x[i] * x[i];
      norm_y += (double) y[i] * y[i];
    }
  if (norm_x == 0 || norm_y == 0)
    return 0;
  return dot / (sqrt (norm_x) * sqrt (norm_y));
}

/* --- retrieval and the prompt --- */

typedef struct {
  char *key;     /* "faq:ID" or "article:ID" */
  char *title;
  char *text;
  char *url;     /* an article's help-centre page; NULL for FAQs and without [help] public-url */
  int   score;
} Passage;

static void
passage_free (Passage *passage)
{
  g_free (passage->key);
  g_free (passage->title);
  g_free (passage->text);
  g_free (passage->url);
  g_free (passage);
}

static int
compare_passages (gconstpointer a,
                  gconstpointer b)
{
  const Passage *first = *(Passage * const *) a;
  const Passage *second = *(Passage * const *) b;

  return second->score - first->score;
}

/* The site's FAQs and published articles that know enough of @text, best first, at most
 * MAX_PASSAGES. Element type: Passage*. */
static Passage *
find_passage (GPtrArray  *passages,
              const char *key)
{
  for (guint i = 0; i < passages->len; i++)
    if (strcmp (((Passage *) g_ptr_array_index (passages, i))->key, key) == 0)
      return g_ptr_array_index (passages, i);
  return NULL;
}

static char *
article_url (ConfabAssistant     *assistant,
             const ConfabSite    *site,
             const ConfabArticle *article)
{
  if (assistant->relay->config->help_public_url == NULL)
    return NULL;
  return g_strdup_printf ("%s/help/%s/%s", assistant->relay->config->help_public_url,
                          site->site_key, article->slug);
}

/* The FAQs and published articles whose current text's vector is close to @query (cosine at
 * least MIN_COSINE), merged into @passages: a passage both ways keeps the better score. */
static gboolean
add_similar (ConfabAssistant   *assistant,
             const ConfabSite  *site,
             GBytes            *query,
             GPtrArray         *passages,
             GError           **error)
{
  ConfabStore *store = assistant->relay->store;
  g_autoptr (GPtrArray) embeddings = NULL;
  g_autoptr (GPtrArray) faqs = NULL;
  g_autoptr (GPtrArray) articles = NULL;
  g_autoptr (GHashTable) vectors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  embeddings = confab_store_list_embeddings (store, site->id, error);
  if (embeddings == NULL)
    return FALSE;
  for (guint i = 0; i < embeddings->len; i++)
    {
      ConfabEmbedding *embedding = g_ptr_array_index (embeddings, i);

      g_hash_table_insert (vectors, g_strconcat (embedding->kind, ":", embedding->item_id, NULL), embedding);
    }
  if (g_hash_table_size (vectors) == 0)
    return TRUE;
  faqs = confab_store_list_faqs (store, site->id, error);
  if (faqs == NULL)
    return FALSE;
  articles = confab_store_list_articles (store, site->id, TRUE, error);
  if (articles == NULL)
    return FALSE;

  for (guint i = 0; i < faqs->len + articles->len; i++)
    {
      gboolean is_faq = i < faqs->len;
      ConfabFaq *faq = is_faq ? g_ptr_array_index (faqs, i) : NULL;
      ConfabArticle *article = is_faq ? NULL : g_ptr_array_index (articles, i - faqs->len);
      g_autofree char *key = g_strconcat (is_faq ? "faq:" : "article:", is_faq ? faq->id : article->id, NULL);
      g_autofree char *text = is_faq ? faq_text (faq) : article_text (article);
      g_autofree char *hash = NULL;
      ConfabEmbedding *embedding = g_hash_table_lookup (vectors, key);
      Passage *passage;
      double similarity;
      int score;

      /* a vector of older text says nothing about the new one */
      if (embedding == NULL)
        continue;
      hash = text_hash (assistant, text);
      if (strcmp (hash, embedding->hash) != 0)
        continue;
      similarity = cosine (query, embedding->vector);
      if (similarity < MIN_COSINE)
        continue;
      score = (int) (similarity * 100 + 0.5);
      passage = find_passage (passages, key);
      if (passage != NULL)
        {
          passage->score = MAX (passage->score, score);
          continue;
        }
      passage = g_new0 (Passage, 1);
      passage->key = g_steal_pointer (&key);
      passage->title = g_strdup (is_faq ? faq->question : article->title);
      passage->text = is_faq ? g_strdup (faq->answer)
                             : g_utf8_substring (article->body, 0, MIN (g_utf8_strlen (article->body, -1), MAX_PASSAGE_CHARS));
      passage->url = is_faq ? NULL : article_url (assistant, site, article);
      passage->score = score;
      g_ptr_array_add (passages, passage);
    }
  return TRUE;
}

static GPtrArray *
retrieve (ConfabAssistant   *assistant,
          const ConfabSite  *site,
          const char        *text,
          GBytes            *vector,
          GError           **error)
{
  ConfabRelay *relay = assistant->relay;
  g_autoptr (GPtrArray) passages = g_ptr_array_new_with_free_func ((GDestroyNotify) passage_free);
  g_autoptr (GPtrArray) matches = NULL;
  g_autoptr (GPtrArray) articles = NULL;
  g_autoptr (ConfabFaqQuery) query = confab_faq_query_new (text);
  g_autoptr (GError) kb_error = NULL;

  matches = confab_faq_search (relay->store, site->id, text, MAX_PASSAGES, error);
  if (matches == NULL)
    return NULL;
  for (guint i = 0; i < matches->len; i++)
    {
      ConfabFaqMatch *match = g_ptr_array_index (matches, i);
      Passage *passage;

      if (match->score < MIN_PASSAGE_SCORE)
        continue;
      passage = g_new0 (Passage, 1);
      passage->key = g_strconcat ("faq:", match->faq->id, NULL);
      passage->title = g_strdup (match->faq->question);
      passage->text = g_strdup (match->faq->answer);
      passage->score = match->score;
      g_ptr_array_add (passages, passage);
    }

  /* bm25 finds the articles; the FAQ bot's score says whether they are about the question */
  articles = confab_kb_search (relay->store, site->id, text, TRUE, MAX_PASSAGES, &kb_error);
  if (articles == NULL)
    g_warning ("No articles for the assistant: %s", kb_error->message);
  for (guint i = 0; articles != NULL && i < articles->len; i++)
    {
      ConfabArticle *article = g_ptr_array_index (articles, i);
      ConfabFaq as_faq = { 0 };
      Passage *passage;
      int score;

      as_faq.question = article->title;
      as_faq.answer = article->body;
      score = confab_faq_query_score (query, &as_faq);
      if (score < MIN_PASSAGE_SCORE)
        continue;
      passage = g_new0 (Passage, 1);
      passage->key = g_strconcat ("article:", article->id, NULL);
      passage->title = g_strdup (article->title);
      passage->text = g_utf8_substring (article->body, 0, MIN (g_utf8_strlen (article->body, -1), MAX_PASSAGE_CHARS));
      passage->url = article_url (assistant, site, article);
      passage->score = score;
      g_ptr_array_add (passages, passage);
    }

  if (vector != NULL)
    {
      g_autoptr (GError) similar_error = NULL;

      if (!add_similar (assistant, site, vector, passages, &similar_error))
        g_warning ("No similar passages for the assistant: %s", similar_error->message);
    }

  g_ptr_array_sort (passages, compare_passages);
  if (passages->len > MAX_PASSAGES)
    g_ptr_array_set_size (passages, MAX_PASSAGES);
  return g_steal_pointer (&passages);
}

/* [{"title","url"}] of @passages */
static JsonArray *
sources_json (GPtrArray *passages)
{
  JsonArray *sources = json_array_new ();

  for (guint i = 0; passages != NULL && i < passages->len; i++)
    {
      Passage *passage = g_ptr_array_index (passages, i);
      JsonObject *source = json_object_new ();

      json_object_set_string_member (source, "title", passage->title);
      if (passage->url != NULL)
        json_object_set_string_member (source, "url", passage->url);
      else
        json_object_set_null_member (source, "url");
      json_array_add_object_element (sources, source);
    }
  return sources;
}

static void
add_chat_message (JsonArray  *messages,
                  const char *role,
                  const char *content)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "role", role);
  json_object_set_string_member (message, "content", content);
  json_array_add_object_element (messages, message);
}

static void
append_passages (GString   *prompt,
                 GPtrArray *passages)
{
  for (guint i = 0; i < passages->len; i++)
    {
      Passage *passage = g_ptr_array_index (passages, i);

      g_string_append_printf (prompt, "\n[%u] %s\n%s\n", i + 1, passage->title, passage->text);
    }
}

/* The system message: who the assistant is, the site's own words, the rule, the passages. */
static char *
system_prompt (const ConfabSite *site,
               const Settings   *settings,
               GPtrArray        *passages)
{
  GString *prompt = g_string_new (NULL);

  g_string_append_printf (prompt, "You are %s, the assistant in the website chat of %s. ",
                          settings->name, site->name);
  if (settings->tone != NULL)
    g_string_append_printf (prompt, "Tone: %s. ", settings->tone);
  g_string_append (prompt,
                   "Answer the visitor's last message only from the numbered passages below. "
                   "Never invent prices, discounts, delivery times, availability or promises "
                   "that the passages do not state. If the passages do not answer the question, "
                   "say that you do not know and offer to connect the visitor with a person. "
                   "Be brief, and answer in the visitor's language.\n");
  if (settings->instructions != NULL)
    g_string_append_printf (prompt, "\nInstructions from %s:\n%s\n", site->name, settings->instructions);
  g_string_append (prompt, "\nPassages:\n");
  append_passages (prompt, passages);
  return g_string_free (prompt, FALSE);
}

/* The conversation as chat messages: the visitor's are the user's, the team's and the bots'
 * the assistant's; system notes are left out. */
static void
add_history (JsonArray *messages,
             GPtrArray *history)
{
  for (guint i = 0; i < history->len; i++)
    {
      ConfabMessage *message = g_ptr_array_index (history, i);

      if (message->body == NULL || message->sender_type == CONFAB_SENDER_SYSTEM)
        continue;
      add_chat_message (messages, message->sender_type == CONFAB_SENDER_VISITOR ? "user" : "assistant",
                        message->body);
    }
}

static GPtrArray *
recent_messages (ConfabStore              *store,
                 const ConfabConversation *conversation,
                 guint                     count,
                 GError                  **error)
{
  return confab_store_list_messages (store, conversation->id, MAX (conversation->last_seq - (gint64) count, 0),
                                     count, error);
}

/* --- answering a visitor --- */

typedef struct {
  ConfabAssistant *assistant;     /* NULL once the relay is going away */
  GCancellable    *cancellable;
  char            *conversation_id;
  char            *visitor_id;
  char            *site_id;
  char            *stream_id;
  char            *name;
  char            *body;          /* the visitor's message, for the FAQ bot */
  gint64           seq;
  JsonArray       *sources;
  char            *latest;        /* the text so far, not yet sent */
  gint64           last_delta_ms;
  guint            delta_source;
  gint64           started_ms;    /* monotonic */
  char            *bus_latest;    /* the text so far, not yet sent to the other relays */
  gint64           last_bus_ms;
  guint            bus_source;
  gboolean         drafted;       /* the visitor's tabs have a draft of it */
} Answer;

static void
answer_free (Answer *answer)
{
  g_clear_handle_id (&answer->delta_source, g_source_remove);
  g_clear_handle_id (&answer->bus_source, g_source_remove);
  g_clear_object (&answer->cancellable);
  g_free (answer->conversation_id);
  g_free (answer->visitor_id);
  g_free (answer->site_id);
  g_free (answer->stream_id);
  g_free (answer->name);
  g_free (answer->body);
  g_free (answer->latest);
  g_free (answer->bus_latest);
  g_clear_pointer (&answer->sources, json_array_unref);
  g_free (answer);
}

static gboolean may_answer     (ConfabAssistant *assistant,
                                const char      *conversation_id);
static void     answer_retract (Answer          *answer);

static JsonObject *
delta_frame (Answer     *answer,
             const char *text)
{
  JsonObject *frame = confab_frame_new ("assistant_delta");

  json_object_set_string_member (frame, "conversation_id", answer->conversation_id);
  json_object_set_string_member (frame, "stream_id", answer->stream_id);
  json_object_set_string_member (frame, "text", text);
  return frame;
}

static void
send_bus_delta (Answer *answer)
{
  g_autoptr (JsonObject) frame = delta_frame (answer, answer->bus_latest);

  confab_hub_send_to_visitor_elsewhere (answer->assistant->relay->hub, answer->site_id,
                                        answer->visitor_id, frame);
  g_clear_pointer (&answer->bus_latest, g_free);
  answer->last_bus_ms = g_get_monotonic_time () / 1000;
}

static gboolean
bus_delta_due (gpointer user_data)
{
  Answer *answer = user_data;

  answer->bus_source = 0;
  if (answer->bus_latest != NULL && answer->assistant != NULL)
    send_bus_delta (answer);
  return G_SOURCE_REMOVE;
}

/* The other relays' tabs get @text now, or the latest text once their interval is over: each
 * delta holds the whole text, so the ones in between are not missed. */
static void
queue_bus_delta (Answer     *answer,
                 const char *text)
{
  gint64 now = g_get_monotonic_time () / 1000;
  gint64 wait;

  if (answer->assistant->relay->bus == NULL)
    return;   /* one relay: nobody elsewhere */
  g_free (answer->bus_latest);
  answer->bus_latest = g_strdup (text);
  if (answer->bus_source != 0)
    return;
  wait = answer->last_bus_ms + MAX (BUS_DELTA_MS, (now - answer->started_ms) / BUS_DELTA_SHARE) - now;
  if (answer->last_bus_ms == 0 || wait <= 0)
    send_bus_delta (answer);
  else
    answer->bus_source = g_timeout_add ((guint) wait, bus_delta_due, answer);
}

static void
send_delta (Answer *answer)
{
  g_autoptr (JsonObject) frame = NULL;

  if (answer->latest == NULL || answer->assistant == NULL)
    return;
  /* an agent came in, or the visitor asked for one: quiet at once, the rest is not written */
  if (!may_answer (answer->assistant, answer->conversation_id))
    {
      answer_retract (answer);
      g_cancellable_cancel (answer->cancellable);
      return;
    }
  frame = delta_frame (answer, answer->latest);
  confab_hub_send_to_visitor (answer->assistant->relay->hub, answer->visitor_id, frame);
  queue_bus_delta (answer, answer->latest);
  g_clear_pointer (&answer->latest, g_free);
  answer->last_delta_ms = g_get_monotonic_time () / 1000;
  answer->drafted = TRUE;
}

/* The answer will not be stored: its draft goes from the visitor's tabs, and no delta comes
 * after this (a pending one would bring the draft back). */
static void
answer_retract (Answer *answer)
{
  g_autoptr (JsonObject) frame = NULL;

  g_clear_handle_id (&answer->delta_source, g_source_remove);
  g_clear_handle_id (&answer->bus_source, g_source_remove);
  g_clear_pointer (&answer->latest, g_free);
  g_clear_pointer (&answer->bus_latest, g_free);
  if (!answer->drafted || answer->assistant == NULL)
    return;
  answer->drafted = FALSE;
  frame = confab_frame_new ("assistant_cancel");
  json_object_set_string_member (frame, "conversation_id", answer->conversation_id);
  json_object_set_string_member (frame, "stream_id", answer->stream_id);
  confab_hub_send_to_visitor (answer->assistant->relay->hub, answer->visitor_id, frame);
  /* after the deltas that went there: Redis keeps their order */
  confab_hub_send_to_visitor_elsewhere (answer->assistant->relay->hub, answer->site_id,
                                        answer->visitor_id, frame);
}

static gboolean
delta_due (gpointer user_data)
{
  Answer *answer = user_data;

  answer->delta_source = 0;
  send_delta (answer);
  return G_SOURCE_REMOVE;
}

/* At most one frame every DELTA_INTERVAL_MS, each with the whole text so far. */
static void
on_delta (const char *text,
          gpointer    user_data)
{
  Answer *answer = user_data;
  gint64 now = g_get_monotonic_time () / 1000;

  g_free (answer->latest);
  answer->latest = g_strdup (text);
  if (answer->delta_source != 0)
    return;
  if (now - answer->last_delta_ms >= DELTA_INTERVAL_MS)
    send_delta (answer);
  else
    answer->delta_source = g_timeout_add (DELTA_INTERVAL_MS - (now - answer->last_delta_ms),
                                          delta_due, answer);
}

/* Whether the visitor of @conversation should be asked for an e-mail: nobody of @site's team
 * can take over now (no agent online on any relay, or outside the site's working hours) and
 * their contact has no e-mail yet. */
static gboolean
should_ask_email (ConfabRelay              *relay,
                  const ConfabSite         *site,
                  const ConfabConversation *conversation)
{
  g_autoptr (ConfabVisitor) visitor = NULL;

  if (conversation->visitor_id == NULL)
    return FALSE;
  if (confab_hub_agents_online (relay->hub, site->id) > 0 &&
      confab_site_back_at (site, confab_now_ms ()) == 0)
    return FALSE;
  visitor = confab_store_get_visitor (relay->store, conversation->visitor_id, NULL);
  return visitor != NULL && (visitor->email == NULL || *visitor->email == '\0');
}

static void
add_action (JsonArray  *actions,
            const char *type,
            const char *label)
{
  JsonObject *action = json_object_new ();

  json_object_set_string_member (action, "type", type);
  json_object_set_string_member (action, "label", label);
  json_array_add_object_element (actions, action);
}

/* The assistant's message: a bot's, with "assistant" set; it offers a person, or with
 * @ask_email (nobody there to take over: its "I don't know") asks for the visitor's e-mail
 * instead. */
static ConfabMessage *
post_answer (ConfabAssistant  *assistant,
             const char       *conversation_id,
             const char       *name,
             const char       *body,
             const char       *stream_id,
             JsonArray        *sources,
             gboolean          ask_email,
             GError          **error)
{
  g_autoptr (JsonObject) extra = json_object_new ();
  g_autofree char *extra_text = NULL;
  JsonArray *actions = json_array_new ();
  ConfabMessageDraft draft = { 0 };

  if (stream_id != NULL)
    json_object_set_string_member (extra, "stream_id", stream_id);
  json_object_set_array_member (extra, "sources", sources ? json_array_ref (sources) : json_array_new ());
  if (ask_email)
    add_action (actions, "ask_email", CONFAB_ASK_EMAIL_LABEL);
  else
    add_action (actions, "talk_to_human", TALK_TO_HUMAN_LABEL);
  json_object_set_array_member (extra, "actions", actions);
  extra_text = confab_json_object_to_string (extra);

  draft.conversation_id = conversation_id;
  draft.sender_type = CONFAB_SENDER_BOT;
  draft.sender_name = name;
  draft.body = body;
  draft.assistant_json = extra_text;
  return confab_hub_post_message (assistant->relay->hub, &draft, NULL, NULL, NULL, error);
}

static void
count_event (ConfabAssistant *assistant,
             const char      *site_id,
             const char      *conversation_id,
             const char      *kind)
{
  g_autoptr (GError) error = NULL;

  if (!confab_store_add_assistant_event (assistant->relay->store, site_id, conversation_id, kind, &error))
    g_warning ("Assistant event not counted: %s", error->message);
}

/* Whether the assistant may still speak: nobody of the team has the conversation or wrote in
 * it, and the visitor did not ask for a person. */
static gboolean
may_answer (ConfabAssistant *assistant,
            const char      *conversation_id)
{
  g_autoptr (GError) error = NULL;
  gboolean may = FALSE;

  if (!confab_store_assistant_may_answer (assistant->relay->store, conversation_id, &may, &error))
    {
      g_warning ("Assistant quiet in conversation %s: %s", conversation_id, error->message);
      return FALSE;
    }
  return may;
}

static void
fall_back (Answer *answer)
{
  ConfabRelay *relay = answer->assistant->relay;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  ConfabMessage message = { 0 };

  conversation = confab_store_get_conversation (relay->store, answer->conversation_id, &error);
  if (conversation == NULL)
    {
      g_warning ("No FAQ fallback in conversation %s: %s", answer->conversation_id, error->message);
      return;
    }
  message.conversation_id = answer->conversation_id;
  message.seq = answer->seq;
  message.sender_type = CONFAB_SENDER_VISITOR;
  message.sender_id = answer->visitor_id;
  message.body = answer->body;
  confab_faq_answer (relay, conversation, &message);
}

/* The answer no longer runs: a newer one may have taken its place already. */
static void
answer_forget (Answer *answer)
{
  if (answer->assistant != NULL &&
      g_hash_table_lookup (answer->assistant->running, answer->conversation_id) == answer)
    g_hash_table_remove (answer->assistant->running, answer->conversation_id);
}

static void
answered (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Answer *answer = user_data;
  ConfabAssistant *assistant = answer->assistant;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr (ConfabMessage) message = NULL;

  text = chat_finish (result, &error);
  if (assistant == NULL)
    goto done;
  answer_forget (answer);
  g_clear_handle_id (&answer->delta_source, g_source_remove);
  /* the stored message takes the draft's place on every relay: a late draft would bring it back */
  g_clear_handle_id (&answer->bus_source, g_source_remove);

  if (text == NULL)
    {
      /* a newer message of the visitor took over: that one is answered */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        goto done;
      confab_metrics_inc (CONFAB_METRIC_ASSISTANT_FAILURES);
      /* the error's words are ours, never the endpoint's body */
      g_warning ("Assistant failed in conversation %s, the FAQ bot answers: %s",
                 answer->conversation_id, error->message);
      answer_retract (answer);
      count_event (assistant, answer->site_id, answer->conversation_id, CONFAB_ASSISTANT_EVENT_FAILURE);
      if (may_answer (assistant, answer->conversation_id))
        fall_back (answer);
      goto done;
    }

  /* an agent came in (or the visitor asked for one) while the model wrote */
  if (!may_answer (assistant, answer->conversation_id))
    {
      answer_retract (answer);
      goto done;
    }

  message = post_answer (assistant, answer->conversation_id, answer->name, text, answer->stream_id,
                         answer->sources, FALSE, &error);
  if (message == NULL)
    {
      g_warning ("Assistant answer not stored in conversation %s: %s", answer->conversation_id,
                 error->message);
      answer_retract (answer);
      goto done;
    }
  count_event (assistant, answer->site_id, answer->conversation_id, CONFAB_ASSISTANT_EVENT_ANSWER);
  g_debug ("Assistant answered in conversation %s from %u passages", answer->conversation_id,
           json_array_get_length (answer->sources));

done:
  answer_free (answer);
}

/* Retrieval (with @query, the visitor's words' vector, when there is one), then "I don't know"
 * or the model. Ends (and frees) @answer unless the model is asked. */
static void
answer_start (Answer *answer,
              GBytes *query)
{
  ConfabAssistant *assistant = answer->assistant;
  ConfabRelay *relay = assistant->relay;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GPtrArray) passages = NULL;
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (JsonArray) messages = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *system = NULL;
  Settings settings = { 0 };

  site = confab_store_get_site (relay->store, answer->site_id, &error);
  if (site != NULL)
    conversation = confab_store_get_conversation (relay->store, answer->conversation_id, &error);
  if (conversation == NULL)
    {
      g_warning ("No assistant in conversation %s: %s", answer->conversation_id, error->message);
      goto done;
    }
  read_settings (site, &settings);

  passages = retrieve (assistant, site, answer->body, query, &error);
  if (passages == NULL)
    {
      g_warning ("Assistant retrieval failed in conversation %s: %s", answer->conversation_id, error->message);
      fall_back (answer);
      goto done;
    }

  if (passages->len == 0)
    {
      g_autoptr (ConfabMessage) unknown = NULL;

      /* nothing to answer from: no model call, the way to a person instead */
      gboolean alone = should_ask_email (relay, site, conversation);

      unknown = post_answer (assistant, answer->conversation_id, settings.name,
                             alone ? DONT_KNOW_ALONE_TEXT : DONT_KNOW_TEXT, NULL, NULL, alone, &error);
      if (unknown == NULL)
        g_warning ("Assistant answer not stored in conversation %s: %s", answer->conversation_id, error->message);
      else
        count_event (assistant, site->id, answer->conversation_id, CONFAB_ASSISTANT_EVENT_UNKNOWN);
      goto done;
    }

  history = recent_messages (relay->store, conversation, HISTORY_MESSAGES, &error);
  if (history == NULL)
    {
      g_warning ("Assistant has no history in conversation %s: %s", answer->conversation_id, error->message);
      fall_back (answer);
      goto done;
    }

  messages = json_array_new ();
  system = system_prompt (site, &settings, passages);
  add_chat_message (messages, "system", system);
  add_history (messages, history);
  answer->sources = sources_json (passages);
  settings_clear (&settings);

  chat_async (assistant, messages, relay->config->assistant_max_tokens, on_delta, answer,
              answer->cancellable, answered, answer);
  return;

done:
  settings_clear (&settings);
  answer_forget (answer);
  answer_free (answer);
}

static void
query_embedded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Answer *answer = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) vectors = embed_finish (result, &error);

  if (answer->assistant == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* the relay is going away, or a newer message of the visitor took over */
      answer_forget (answer);
      answer_free (answer);
      return;
    }
  if (vectors == NULL)
    {
      /* full-text retrieval still works without the vectors */
      confab_metrics_inc (CONFAB_METRIC_ASSISTANT_FAILURES);
      g_warning ("No embedding of the visitor's message in conversation %s: %s",
                 answer->conversation_id, error->message);
    }
  answer_start (answer, vectors ? g_ptr_array_index (vectors, 0) : NULL);
}

gboolean
confab_assistant_after_visitor_message (ConfabAssistant          *assistant,
                                        const ConfabConversation *conversation,
                                        const ConfabMessage      *message)
{
  ConfabRelay *relay = assistant->relay;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GError) error = NULL;
  Settings settings;
  Answer *answer, *previous;

  if (!confab_assistant_available (assistant) || message->body == NULL ||
      message->sender_type != CONFAB_SENDER_VISITOR)
    return FALSE;
  site = confab_store_get_site (relay->store, conversation->site_id, &error);
  if (site == NULL)
    {
      g_warning ("No assistant in conversation %s: %s", conversation->id, error->message);
      return FALSE;
    }
  read_settings (site, &settings);
  if (!settings.enabled)
    {
      settings_clear (&settings);
      return FALSE;
    }
  /* quiet for good once a person is there or was asked for: the FAQ bot is too */
  if (!may_answer (assistant, conversation->id))
    {
      settings_clear (&settings);
      return TRUE;
    }

  /* the visitor wrote again while the model was writing: this message is the one to answer */
  previous = g_hash_table_lookup (assistant->running, conversation->id);
  if (previous != NULL)
    {
      g_hash_table_remove (assistant->running, conversation->id);
      answer_retract (previous);
      g_cancellable_cancel (previous->cancellable);
    }

  answer = g_new0 (Answer, 1);
  answer->assistant = assistant;
  answer->cancellable = g_cancellable_new ();
  answer->conversation_id = g_strdup (conversation->id);
  answer->visitor_id = g_strdup (conversation->visitor_id);
  answer->site_id = g_strdup (site->id);
  answer->stream_id = confab_new_id ("stm_");
  answer->started_ms = g_get_monotonic_time () / 1000;
  answer->name = g_strdup (settings.name);
  answer->body = g_strdup (message->body);
  answer->seq = message->seq;
  g_hash_table_insert (assistant->running, g_strdup (conversation->id), answer);
  settings_clear (&settings);

  if (embeddings_on (assistant))
    {
      g_autoptr (GPtrArray) texts = g_ptr_array_new ();

      /* FAQs and articles changed since their vectors were made get new ones, for next time */
      sweep_site (assistant, site->id);
      g_ptr_array_add (texts, answer->body);
      embed_async (assistant, texts, answer->cancellable, query_embedded, answer);
    }
  else
    answer_start (answer, NULL);
  return TRUE;
}

void
confab_assistant_knowledge_changed (ConfabAssistant *assistant,
                                    const char      *site_id)
{
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (GError) error = NULL;
  Settings settings;

  if (!confab_assistant_available (assistant) || !embeddings_on (assistant))
    return;
  site = confab_store_get_site (assistant->relay->store, site_id, &error);
  if (site == NULL)
    {
      g_warning ("No embeddings for site %s: %s", site_id, error->message);
      return;
    }
  /* a site without its assistant on costs the endpoint nothing */
  read_settings (site, &settings);
  if (settings.enabled)
    sweep_site (assistant, site_id);
  settings_clear (&settings);
}

/* --- agent assist --- */

typedef struct {
  gboolean         summary;
  JsonArray       *sources;
  ConfabAssistant *assistant;
  ConfabSite      *site;
  char            *transcript;
  char            *last_visitor;   /* a suggested reply's query; NULL: nothing to retrieve by */
} AssistJob;

static void
assist_job_free (AssistJob *job)
{
  g_clear_pointer (&job->sources, json_array_unref);
  g_clear_pointer (&job->site, confab_site_free);
  g_free (job->transcript);
  g_free (job->last_visitor);
  g_free (job);
}

static void
assist_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  AssistJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *text = chat_finish (result, &error);
  JsonObject *answer;

  if (text == NULL)
    {
      if (!g_error_matches (error, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_UNAVAILABLE))
        {
          confab_metrics_inc (CONFAB_METRIC_ASSISTANT_FAILURES);
          g_warning ("Agent assist failed: %s", error->message);
        }
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  answer = json_object_new ();
  if (job->summary)
    json_object_set_string_member (answer, "summary", text);
  else
    {
      json_object_set_string_member (answer, "body", text);
      json_object_set_array_member (answer, "sources", json_array_ref (job->sources));
    }
  g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
  g_object_unref (task);
}

/* The prompt and the model's call; a suggested reply's passages by the same retrieval as the
 * visitor's answers: full text, and @query's similarity when it is not NULL. */
static void
assist_ask (GTask  *task,
            GBytes *query)
{
  AssistJob *job = g_task_get_task_data (task);
  ConfabAssistant *assistant = job->assistant;
  ConfabSite *site = job->site;
  g_autoptr (GPtrArray) passages = NULL;
  g_autoptr (JsonArray) messages = json_array_new ();
  g_autoptr (GString) prompt = g_string_new (NULL);
  GError *error = NULL;
  Settings settings;

  read_settings (site, &settings);
  if (job->summary)
    {
      g_string_append_printf (prompt,
                              "You summarize a chat between a visitor and the team of %s for a "
                              "colleague taking it over. Write one paragraph of at most five "
                              "sentences: what the visitor wants, what they were told, and what is "
                              "still open. Use only what the conversation says.", site->name);
      job->sources = json_array_new ();
    }
  else
    {
      passages = job->last_visitor ? retrieve (assistant, site, job->last_visitor, query, &error)
                                   : g_ptr_array_new ();
      if (passages == NULL)
        {
          settings_clear (&settings);
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      g_string_append_printf (prompt,
                              "You draft the next reply of an agent of %s to the visitor in the chat "
                              "below. Write only the reply, ready to send, from the numbered passages "
                              "and the conversation. Never invent prices, discounts, delivery times or "
                              "promises they do not state; where they say nothing, write that you will "
                              "find out.", site->name);
      if (settings.tone != NULL)
        g_string_append_printf (prompt, " Tone: %s.", settings.tone);
      if (settings.instructions != NULL)
        g_string_append_printf (prompt, "\n\nInstructions from %s:\n%s", site->name, settings.instructions);
      g_string_append (prompt, "\n\nPassages:\n");
      append_passages (prompt, passages);
      job->sources = sources_json (passages);
    }
  settings_clear (&settings);

  add_chat_message (messages, "system", prompt->str);
  add_chat_message (messages, "user", job->transcript[0] != '\0' ? job->transcript : "(no messages yet)");
  chat_async (assistant, messages, assistant->relay->config->assistant_max_tokens, NULL, NULL, NULL,
              assist_done, task);
}

static void
assist_embedded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr (GPtrArray) vectors = embed_finish (result, &error);

  /* the relay is going away: its assistant is no more */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (vectors == NULL)
    {
      /* full-text retrieval still works without the vector */
      confab_metrics_inc (CONFAB_METRIC_ASSISTANT_FAILURES);
      g_warning ("No embedding of the visitor's message for a suggested reply: %s", error->message);
      g_clear_error (&error);
    }
  assist_ask (task, vectors ? g_ptr_array_index (vectors, 0) : NULL);
}

static void
assist_async (ConfabAssistant          *assistant,
              const ConfabConversation *conversation,
              gboolean                  summary,
              GAsyncReadyCallback       callback,
              gpointer                  user_data)
{
  ConfabRelay *relay = assistant->relay;
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  AssistJob *job = g_new0 (AssistJob, 1);
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GString) transcript = g_string_new (NULL);
  GError *error = NULL;
  const char *last_visitor = NULL;

  g_task_set_task_data (task, job, (GDestroyNotify) assist_job_free);
  job->summary = summary;
  job->assistant = assistant;
  if (!confab_assistant_available (assistant))
    {
      g_task_return_new_error (task, CONFAB_ASSISTANT_ERROR, CONFAB_ASSISTANT_ERROR_UNAVAILABLE,
                               "This relay has no assistant");
      g_object_unref (task);
      return;
    }

  job->site = confab_store_get_site (relay->store, conversation->site_id, &error);
  if (job->site != NULL)
    history = recent_messages (relay->store, conversation, summary ? SUMMARY_MESSAGES : HISTORY_MESSAGES, &error);
  if (history == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  for (guint i = 0; i < history->len; i++)
    {
      ConfabMessage *message = g_ptr_array_index (history, i);

      if (message->body == NULL || message->sender_type == CONFAB_SENDER_SYSTEM)
        continue;
      if (message->sender_type == CONFAB_SENDER_VISITOR)
        last_visitor = message->body;
      g_string_append_printf (transcript, "%s: %s\n",
                              message->sender_type == CONFAB_SENDER_VISITOR ? "Visitor"
                              : message->sender_type == CONFAB_SENDER_AGENT ? "Agent" : "Bot",
                              message->body);
    }
  job->transcript = g_string_free (g_steal_pointer (&transcript), FALSE);
  if (!summary)
    job->last_visitor = g_strdup (last_visitor);

  if (job->last_visitor != NULL && embeddings_on (assistant))
    {
      g_autoptr (GPtrArray) texts = g_ptr_array_new ();

      /* FAQs and articles changed since their vectors were made get new ones, for next time */
      sweep_site (assistant, job->site->id);
      g_ptr_array_add (texts, job->last_visitor);
      embed_async (assistant, texts, assistant->sweeps, assist_embedded, task);
      return;
    }
  assist_ask (task, NULL);
}

void
confab_assistant_suggest_reply_async (ConfabAssistant          *assistant,
                                      const ConfabConversation *conversation,
                                      GAsyncReadyCallback       callback,
                                      gpointer                  user_data)
{
  assist_async (assistant, conversation, FALSE, callback, user_data);
}

void
confab_assistant_summary_async (ConfabAssistant          *assistant,
                                const ConfabConversation *conversation,
                                GAsyncReadyCallback       callback,
                                gpointer                  user_data)
{
  assist_async (assistant, conversation, TRUE, callback, user_data);
}

JsonObject *
confab_assistant_assist_finish (ConfabAssistant  *assistant,
                                GAsyncResult     *result,
                                GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- the object --- */

ConfabAssistant *
confab_assistant_new (ConfabRelay *relay)
{
  ConfabAssistant *assistant = g_new0 (ConfabAssistant, 1);

  assistant->relay = relay;
  /* no session timeout: the first token's timer (and each next line's) is ours */
  assistant->session = soup_session_new_with_options ("user-agent", "Confab-Assistant/1",
                                                      "max-conns-per-host", 16, NULL);
  soup_session_set_proxy_resolver (assistant->session, NULL);
  assistant->embed_session = soup_session_new_with_options ("user-agent", "Confab-Assistant/1",
                                                            "timeout", relay->config->assistant_timeout, NULL);
  soup_session_set_proxy_resolver (assistant->embed_session, NULL);
  assistant->running = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  assistant->sweeping = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  assistant->resweep = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  assistant->sweeps = g_cancellable_new ();
  confab_objects_set_assistant_available (relay->config->assistant_url != NULL);
  return assistant;
}

void
confab_assistant_free (ConfabAssistant *assistant)
{
  GHashTableIter iter;
  gpointer value;

  if (assistant == NULL)
    return;
  /* the answers under way finish on their own, without us */
  g_hash_table_iter_init (&iter, assistant->running);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Answer *answer = value;

      answer->assistant = NULL;
      g_clear_handle_id (&answer->delta_source, g_source_remove);
      g_cancellable_cancel (answer->cancellable);
    }
  g_hash_table_unref (assistant->running);
  g_cancellable_cancel (assistant->sweeps);
  g_clear_object (&assistant->sweeps);
  g_hash_table_unref (assistant->sweeping);
  g_hash_table_unref (assistant->resweep);
  soup_session_abort (assistant->session);
  g_object_unref (assistant->session);
  soup_session_abort (assistant->embed_session);
  g_object_unref (assistant->embed_session);
  g_free (assistant);
}

gboolean
confab_assistant_available (ConfabAssistant *assistant)
{
  return assistant != NULL && assistant->relay->config->assistant_url != NULL;
}

void
confab_assistant_human_requested (ConfabAssistant *assistant,
                                  const char      *conversation_id)
{
  ConfabRelay *relay = assistant->relay;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabMessage) ask = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *client_id = NULL;
  ConfabMessageDraft draft = { 0 };
  Settings settings = { 0 };

  conversation = confab_store_get_conversation (relay->store, conversation_id, &error);
  if (conversation != NULL)
    site = confab_store_get_site (relay->store, conversation->site_id, &error);
  if (site == NULL)
    {
      g_warning ("No e-mail asked for in conversation %s: %s", conversation_id, error->message);
      return;
    }
  if (!should_ask_email (relay, site, conversation))
    return;
  read_settings (site, &settings);
  /* The visitor's request is stored (the team sees it when they come): the site's bot says
   * nobody is there now, and asks where to answer. A notice, not an answer of the assistant
   * (also on sites with only the FAQ bot): no "assistant", no sources, nothing to vote on;
   * its client id marks it (confab_message_asks_email ()). The bot speaks under the name the
   * visitor knows: the assistant's when it is on, else the FAQ bot's (confab_faq_answer ()). */
  if (settings.enabled && confab_assistant_available (assistant))
    name = g_strdup (settings.name);
  else
    name = g_strdup_printf ("%s assistant", site->name);
  uuid = g_uuid_string_random ();
  client_id = g_strconcat (CONFAB_ASK_EMAIL_CLIENT_PREFIX, uuid, NULL);
  draft.conversation_id = conversation_id;
  draft.client_id = client_id;
  draft.sender_type = CONFAB_SENDER_BOT;
  draft.sender_name = name;
  draft.body = NOBODY_TEXT;
  ask = confab_hub_post_message (relay->hub, &draft, NULL, NULL, NULL, &error);
  if (ask == NULL)
    g_warning ("E-mail request not stored in conversation %s: %s", conversation_id, error->message);
  settings_clear (&settings);
}
