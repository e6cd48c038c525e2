/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-mailer.c: the outgoing mail queue and its SMTP sender (see confab-mailer.h) */
#define G_LOG_DOMAIN "confab-mail"

#include "confab-mailer.h"
#include "confab-hub.h"
#include "confab-mail-in.h"
#include "confab-ratelimit.h"
#include "confab-util.h"
#include "confab-build-paths.h"

#include <curl/curl.h>
#include "confab-gmime.h"
#include <string.h>

/* mails per worker run: each run ends with one short transaction on the main loop */
#define BATCH             20
#define FIRST_RETRY_MS    (5 * 1000)
#define MAX_RETRY_MS      (30 * 60 * 1000)
#define GIVE_UP_AFTER_MS  ((gint64) 24 * 60 * 60 * 1000)
#define CONNECT_TIMEOUT_S 10
#define TRANSFER_TIMEOUT_S 60
/* transcripts a visitor may have mailed per hour: each is a mail to an address they typed */
#define TRANSCRIPTS_PER_HOUR 3

struct _ConfabMailer
{
  gatomicrefcount  ref;
  ConfabRelay     *relay;     /* NULL once the relay let go (a run may still be on its thread) */
  gboolean         enabled;
  char            *domain;    /* of from-address, for Message-IDs */
  guint            timer;
  gboolean         sending;   /* a worker run is in flight */
  ConfabMailerFunc listener;
  gpointer         listener_data;
  ConfabRateLimit *transcripts; /* per visitor */
  ConfabMailIn    *mail_in;     /* the sites' mailboxes */
};

typedef struct {
  char     *id;
  char     *to;
  char     *message;
  gsize     offset;
  /* the worker's answer */
  gboolean  sent;
  gboolean  permanent;   /* the server refused it for good */
  gboolean  answered;    /* the server said something (else: unreachable, or hung) */
  char     *error;
} SendItem;

typedef struct {
  char      *url;
  char      *user;
  char      *password;
  char      *from;
  gboolean   require_tls;
  GPtrArray *items;      /* SendItem* */
} SendJob;

static void schedule (ConfabMailer *mailer);

static void
send_item_free (SendItem *item)
{
  g_free (item->id);
  g_free (item->to);
  g_free (item->message);
  g_free (item->error);
  g_free (item);
}

static void
send_job_free (SendJob *job)
{
  g_free (job->url);
  g_free (job->user);
  if (job->password != NULL)
    memset (job->password, 0, strlen (job->password));
  g_free (job->password);
  g_free (job->from);
  g_ptr_array_unref (job->items);
  g_free (job);
}

static ConfabMailer *
mailer_ref (ConfabMailer *mailer)
{
  g_atomic_ref_count_inc (&mailer->ref);
  return mailer;
}

static void
mailer_unref (ConfabMailer *mailer)
{
  if (!g_atomic_ref_count_dec (&mailer->ref))
    return;
  g_free (mailer->domain);
  g_clear_pointer (&mailer->transcripts, confab_rate_limit_free);
  g_free (mailer);
}

ConfabMailer *
confab_mailer_new (ConfabRelay *relay)
{
  static gsize initialized = 0;
  ConfabMailer *mailer = g_new0 (ConfabMailer, 1);
  ConfabConfig *config = relay->config;
  g_autoptr (GError) error = NULL;
  const char *at;

  /* both keep global state that must be set up before any thread uses them */
  if (g_once_init_enter (&initialized))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_mime_init ();
      g_once_init_leave (&initialized, 1);
    }

  g_atomic_ref_count_init (&mailer->ref);
  mailer->relay = relay;
  mailer->transcripts = confab_rate_limit_new (TRANSCRIPTS_PER_HOUR, 60 * 60 * 1000);
  mailer->enabled = config->smtp_server != NULL && *config->smtp_server != '\0';
  at = strchr (config->from_address, '@');
  mailer->domain = g_strdup (at != NULL ? at + 1 : "confab.invalid");
  if (!mailer->enabled)
    return mailer;

  /* a restart is a good moment to try again what waits for its next attempt */
  if (!confab_store_retry_mails_now (relay->store, confab_now_ms (), &error))
    g_warning ("Cannot reschedule the mail queue: %s", error->message);
  g_message ("Mail goes out through %s:%u (%s)", config->smtp_server, config->smtp_port,
             config->smtp_security == CONFAB_SMTP_TLS ? "TLS"
             : config->smtp_security == CONFAB_SMTP_STARTTLS ? "STARTTLS" : "no TLS");
  schedule (mailer);
  mailer->mail_in = confab_mail_in_new (relay);
  return mailer;
}

void
confab_mailer_free (ConfabMailer *mailer)
{
  if (mailer == NULL)
    return;
  g_clear_handle_id (&mailer->timer, g_source_remove);
  g_clear_pointer (&mailer->mail_in, confab_mail_in_free);
  mailer->relay = NULL;
  mailer_unref (mailer);
}

gboolean
confab_mailer_is_enabled (ConfabMailer *mailer)
{
  return mailer != NULL && mailer->enabled;
}

void
confab_mailer_mailbox_changed (ConfabMailer *mailer,
                               const char   *site_id)
{
  confab_mail_in_changed (mailer->mail_in, site_id);
}

gboolean
confab_mailer_mailbox_idling (ConfabMailer *mailer,
                              const char   *site_id)
{
  return mailer != NULL && confab_mail_in_idling (mailer->mail_in, site_id);
}

gboolean
confab_mailer_take_transcript (ConfabMailer *mailer,
                               const char   *visitor_id,
                               guint        *out_retry_ms)
{
  return confab_rate_limit_take (mailer->transcripts, visitor_id,
                                 confab_rate_limit_now_ms (), out_retry_ms);
}

void
confab_mailer_set_listener (ConfabMailer     *mailer,
                            ConfabMailerFunc  func,
                            gpointer          user_data)
{
  mailer->listener = func;
  mailer->listener_data = user_data;
}

char *
confab_mailer_new_message_id (ConfabMailer *mailer)
{
  g_autofree char *token = confab_random_token (15);

  /* base64url may hold '-' and '_', both fine in a Message-ID's left part */
  return g_strdup_printf ("%s.confab@%s", token, mailer->domain);
}

/* --- building a mail --- */

static char *
angle_list (const char * const *ids)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    g_string_append_printf (text, "%s<%s>", text->len > 0 ? " " : "", ids[i]);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
confab_mailer_queue (ConfabMailer           *mailer,
                     const ConfabMailDraft  *draft,
                     char                  **out_message_id,
                     GError                **error)
{
  ConfabConfig *config;
  g_autoptr (GMimeMessage) message = NULL;
  g_autoptr (GMimeTextPart) part = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *text = NULL;
  GMimeFormatOptions *options;
  char *id;

  if (!confab_mailer_is_enabled (mailer) || mailer->relay == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "This relay sends no e-mail ([email] smtp-server is not set)");
      return NULL;
    }
  config = mailer->relay->config;

  message = g_mime_message_new (TRUE);
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_FROM,
                              *config->from_name != '\0' ? config->from_name : NULL,
                              config->from_address);
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_TO,
                              draft->to_name != NULL && *draft->to_name != '\0' ? draft->to_name : NULL,
                              draft->to_address);
  if (draft->reply_to != NULL)
    g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, draft->reply_to);
  g_mime_message_set_subject (message, draft->subject, "utf-8");
  now = g_date_time_new_now_utc ();
  g_mime_message_set_date (message, now);
  message_id = confab_mailer_new_message_id (mailer);
  g_mime_message_set_message_id (message, message_id);
  if (draft->in_reply_to != NULL)
    {
      g_autofree char *value = g_strdup_printf ("<%s>", draft->in_reply_to);

      g_mime_object_set_header (GMIME_OBJECT (message), "In-Reply-To", value, NULL);
    }
  if (draft->references != NULL && draft->references[0] != NULL)
    {
      g_autofree char *value = angle_list (draft->references);

      g_mime_object_set_header (GMIME_OBJECT (message), "References", value, NULL);
    }
  if (draft->automatic)
    g_mime_object_set_header (GMIME_OBJECT (message), "Auto-Submitted", "auto-generated", NULL);

  part = g_mime_text_part_new_with_subtype ("plain");
  g_mime_text_part_set_text (part, draft->body);
  g_mime_text_part_set_charset (part, "utf-8");
  g_mime_part_set_content_encoding (GMIME_PART (part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  g_mime_message_set_mime_part (message, GMIME_OBJECT (part));

  /* SMTP wants CRLF; libcurl sends the text as it is (and does the dot-stuffing) */
  options = g_mime_format_options_new ();
  g_mime_format_options_set_newline_format (options, GMIME_NEWLINE_FORMAT_DOS);
  text = g_mime_object_to_string (GMIME_OBJECT (message), options);
  g_mime_format_options_free (options);

  id = confab_store_queue_mail (mailer->relay->store, draft->site_id, draft->kind,
                                draft->conversation_id, draft->seq, draft->to_address, message_id,
                                text, error);
  if (id == NULL)
    return NULL;
  if (out_message_id != NULL)
    *out_message_id = g_steal_pointer (&message_id);
  /* the run starts after this turn, once the caller's transaction is committed */
  schedule (mailer);
  return id;
}

/* --- sending, on a worker thread --- */

static size_t
read_message (char   *buffer,
              size_t  size,
              size_t  count,
              void   *user_data)
{
  SendItem *item = user_data;
  size_t left = strlen (item->message + item->offset);
  size_t n = MIN (left, size * count);

  memcpy (buffer, item->message + item->offset, n);
  item->offset += n;
  return n;
}

static void
send_one (CURL     *curl,
          SendJob  *job,
          SendItem *item)
{
  g_autofree char *rcpt = g_strdup_printf ("<%s>", item->to);
  g_autofree char *from = g_strdup_printf ("<%s>", job->from);
  char detail[CURL_ERROR_SIZE] = "";
  struct curl_slist *recipients = curl_slist_append (NULL, rcpt);
  long response = 0;
  CURLcode rc;

  item->offset = 0;
  curl_easy_setopt (curl, CURLOPT_URL, job->url);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) CONNECT_TIMEOUT_S);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) TRANSFER_TIMEOUT_S);
  curl_easy_setopt (curl, CURLOPT_USE_SSL, job->require_tls ? (long) CURLUSESSL_ALL : (long) CURLUSESSL_NONE);
  if (job->user != NULL && *job->user != '\0')
    {
      curl_easy_setopt (curl, CURLOPT_USERNAME, job->user);
      curl_easy_setopt (curl, CURLOPT_PASSWORD, job->password != NULL ? job->password : "");
    }
  curl_easy_setopt (curl, CURLOPT_MAIL_FROM, from);
  curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt (curl, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt (curl, CURLOPT_READDATA, item);
  curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, detail);

  rc = curl_easy_perform (curl);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &response);
  item->answered = response > 0;
  curl_slist_free_all (recipients);
  curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, NULL);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, NULL);

  if (rc == CURLE_OK)
    {
      item->sent = TRUE;
      return;
    }
  /* 5xx is the server's final word on this mail (unknown recipient, refused content); an
   * authentication failure is the relay's config, which an operator may fix: retried */
  item->permanent = response >= 500 && response < 600 && rc != CURLE_LOGIN_DENIED;
  if (response > 0)
    item->error = g_strdup_printf ("SMTP %ld: %s%s%s", response, curl_easy_strerror (rc),
                                   *detail ? " — " : "", detail);
  else
    item->error = g_strdup_printf ("%s%s%s", curl_easy_strerror (rc), *detail ? " — " : "", detail);
}

static void
send_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SendJob *job = task_data;
  CURL *curl = curl_easy_init ();

  for (guint i = 0; i < job->items->len; i++)
    {
      SendItem *item = g_ptr_array_index (job->items, i);

      if (curl == NULL)
        {
          item->error = g_strdup ("libcurl could not start");
          continue;
        }
      /* one connection per mail: libcurl's SMTP reuses it when it can */
      send_one (curl, job, item);
      /* the server is away or hung (no answer at all): the rest of the batch would wait as
       * long each; they share this attempt's fate and its backoff */
      if (!item->sent && !item->answered)
        {
          for (guint j = i + 1; j < job->items->len; j++)
            {
              SendItem *rest = g_ptr_array_index (job->items, j);

              rest->error = g_strdup (item->error);
            }
          break;
        }
    }
  if (curl != NULL)
    curl_easy_cleanup (curl);
  g_task_return_boolean (task, TRUE);
}

/* Test builds only: CONFAB_TEST_MAIL_RETRY_MS replaces the first retry's 5 s (the later ones
 * double from it as usual), so that tests of a server that comes back do not wait for it. */
static gint64
first_retry_ms (void)
{
#if CONFAB_TEST_HOOKS
  static gint64 test_ms = -1;

  if (test_ms < 0)
    {
      const char *value = g_getenv ("CONFAB_TEST_MAIL_RETRY_MS");

      test_ms = value != NULL ? CLAMP (g_ascii_strtoll (value, NULL, 10), 0, MAX_RETRY_MS) : 0;
      if (test_ms > 0)
        g_message ("The first retry of a mail comes after %" G_GINT64_FORMAT " ms "
                   "(CONFAB_TEST_MAIL_RETRY_MS)", test_ms);
    }
  if (test_ms > 0)
    return test_ms;
#endif
  return FIRST_RETRY_MS;
}

static gint64
next_attempt (const ConfabMail *mail,
              gint64            now)
{
  gint64 delay = first_retry_ms ();

  for (guint i = 0; i < mail->attempts && delay < MAX_RETRY_MS; i++)
    delay *= 2;
  delay = MIN (delay, MAX_RETRY_MS);
  if (now + delay > mail->created_at + GIVE_UP_AFTER_MS)
    return 0;
  return now + delay;
}

static void
send_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ConfabMailer *mailer = user_data;
  SendJob *job = g_task_get_task_data (G_TASK (result));
  ConfabStore *store;
  gint64 now = confab_now_ms ();

  mailer->sending = FALSE;
  if (mailer->relay == NULL)
    {
      mailer_unref (mailer);
      return;
    }
  store = mailer->relay->store;

  for (guint i = 0; i < job->items->len; i++)
    {
      SendItem *item = g_ptr_array_index (job->items, i);
      g_autoptr (ConfabMail) mail = confab_store_get_mail (store, item->id, NULL);
      g_autoptr (GError) error = NULL;
      gint64 next = 0;
      gboolean ok;

      if (mail == NULL)
        continue; /* its site was removed meanwhile */
      if (item->sent)
        ok = confab_store_mail_sent (store, item->id, now, &error);
      else
        {
          next = item->permanent ? 0 : next_attempt (mail, now);
          ok = confab_store_mail_failed (store, item->id, item->error, next, &error);
          /* addresses and ids only: never a body */
          g_message ("Mail %s (%s) %s: %s", item->id, mail->kind,
                     next == 0 ? "failed for good" : "not sent, retried later", item->error);
        }
      if (!ok)
        {
          g_warning ("Cannot record what became of mail %s: %s", item->id, error->message);
          continue;
        }
      if ((item->sent || next == 0) && mailer->listener != NULL)
        {
          g_autoptr (ConfabMail) changed = confab_store_get_mail (store, item->id, NULL);

          if (changed != NULL)
            mailer->listener (mailer, changed, mailer->listener_data);
        }
    }

  schedule (mailer);
  mailer_unref (mailer);
}

static gboolean
run (gpointer user_data)
{
  ConfabMailer *mailer = user_data;
  ConfabConfig *config = mailer->relay->config;
  g_autoptr (GPtrArray) due = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  SendJob *job;

  mailer->timer = 0;
  /* the hub commits its batch first: a mail queued in it is only due once it is durable */
  if (mailer->relay->hub != NULL)
    confab_hub_sync (mailer->relay->hub);
  due = confab_store_due_mails (mailer->relay->store, confab_now_ms (), BATCH, &error);
  if (due == NULL)
    {
      g_warning ("Cannot read the mail queue: %s", error->message);
      mailer->timer = g_timeout_add_seconds (5, run, mailer);
      return G_SOURCE_REMOVE;
    }
  if (due->len == 0)
    {
      schedule (mailer);
      return G_SOURCE_REMOVE;
    }

  job = g_new0 (SendJob, 1);
  job->url = g_strdup_printf ("%s://%s%s%s:%u",
                              config->smtp_security == CONFAB_SMTP_TLS ? "smtps" : "smtp",
                              strchr (config->smtp_server, ':') != NULL ? "[" : "",
                              config->smtp_server,
                              strchr (config->smtp_server, ':') != NULL ? "]" : "",
                              config->smtp_port);
  job->user = g_strdup (config->smtp_user);
  job->password = g_strdup (config->smtp_password);
  job->from = g_strdup (config->from_address);
  job->require_tls = config->smtp_security == CONFAB_SMTP_STARTTLS;
  job->items = g_ptr_array_new_with_free_func ((GDestroyNotify) send_item_free);
  for (guint i = 0; i < due->len; i++)
    {
      ConfabMail *mail = g_ptr_array_index (due, i);
      SendItem *item = g_new0 (SendItem, 1);

      item->id = g_strdup (mail->id);
      item->to = g_strdup (mail->to_address);
      item->message = g_strdup (mail->message);
      g_ptr_array_add (job->items, item);
    }

  mailer->sending = TRUE;
  task = g_task_new (NULL, NULL, send_done, mailer_ref (mailer));
  g_task_set_source_tag (task, run);
  g_task_set_task_data (task, job, (GDestroyNotify) send_job_free);
  g_task_run_in_thread (task, send_thread);
  return G_SOURCE_REMOVE;
}

/* The timer for the next due mail, unless a run is in flight (it schedules when it ends). */
static void
schedule (ConfabMailer *mailer)
{
  g_autoptr (GError) error = NULL;
  gint64 due, wait_ms;

  if (mailer->relay == NULL || !mailer->enabled || mailer->sending)
    return;
  g_clear_handle_id (&mailer->timer, g_source_remove);
  due = confab_store_next_mail_due (mailer->relay->store, &error);
  if (error != NULL)
    {
      g_warning ("Cannot read the mail queue: %s", error->message);
      mailer->timer = g_timeout_add_seconds (5, run, mailer);
      return;
    }
  if (due < 0)
    return;
  wait_ms = CLAMP (due - confab_now_ms (), 0, (gint64) MAX_RETRY_MS);
  /* a few ms even when due: the caller's transaction commits first */
  mailer->timer = g_timeout_add ((guint) MAX (wait_ms, 20), run, mailer);
}
