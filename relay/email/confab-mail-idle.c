/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-mail-idle.c: IMAP IDLE on a site's mailbox (see confab-mail-idle.h) */
#define G_LOG_DOMAIN "confab-mail"

#include "confab-mail-idle.h"

#include <gio/gio.h>
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <string.h>

#define CONNECT_TIMEOUT_S  10
/* a command's answer (CAPABILITY, SELECT, the end of an IDLE) */
#define ANSWER_TIMEOUT_S   30
/* RFC 2177: servers may end an IDLE after 30 minutes; Dovecot's limit is 29 */
#define IDLE_RENEW_S       (25 * 60)
#define RETRY_FIRST_S      5
#define RETRY_MAX_S        300
/* an IDLE that lasted this long was a working link: the next drop starts the delays over */
#define STABLE_S           60
/* no line of an IMAP server's answers to these commands comes near it */
#define MAX_LINE_BYTES     (64 * 1024)

struct _ConfabMailIdle
{
  gatomicrefcount     ref;
  char               *site_id;
  char               *url;
  char               *user;
  char               *password;
  char               *mailbox;      /* quoted for a command: "INBOX" */
  gboolean            require_tls;
  GCancellable       *cancellable;
  GMainContext       *context;
  ConfabMailIdleFunc  func;
  gpointer            user_data;
  /* the main loop's alone */
  gboolean            stopped;
  gboolean            active;
};

static void
mail_idle_unref (ConfabMailIdle *idle)
{
  if (!g_atomic_ref_count_dec (&idle->ref))
    return;
  g_free (idle->site_id);
  g_free (idle->url);
  g_free (idle->user);
  if (idle->password != NULL)
    memset (idle->password, 0, strlen (idle->password));
  g_free (idle->password);
  g_free (idle->mailbox);
  g_object_unref (idle->cancellable);
  g_main_context_unref (idle->context);
  g_free (idle);
}

/* --- telling the main loop -------------------------------------------------------------------- */

typedef struct {
  ConfabMailIdle      *idle;
  ConfabMailIdleEvent  event;
} Post;

static void
post_free (Post *post)
{
  mail_idle_unref (post->idle);
  g_free (post);
}

static gboolean
post_dispatch (gpointer user_data)
{
  Post *post = user_data;
  ConfabMailIdle *idle = post->idle;

  if (!idle->stopped)
    {
      idle->active = post->event == CONFAB_MAIL_IDLE_READY || post->event == CONFAB_MAIL_IDLE_NEW_MAIL;
      idle->func (idle->site_id, post->event, idle->user_data);
    }
  return G_SOURCE_REMOVE;
}

static void
post (ConfabMailIdle      *idle,
      ConfabMailIdleEvent  event)
{
  Post *post = g_new0 (Post, 1);

  g_atomic_ref_count_inc (&idle->ref);
  post->idle = idle;
  post->event = event;
  g_main_context_invoke_full (idle->context, G_PRIORITY_DEFAULT, post_dispatch, post,
                              (GDestroyNotify) post_free);
}

/* --- the connection (the thread's) ------------------------------------------------------------- */

typedef struct {
  ConfabMailIdle *idle;
  CURL           *curl;
  curl_socket_t   socket;
  GString        *in;      /* received, not yet read as lines */
  guint           tag;
} Session;

typedef enum {
  LINE_OK,
  LINE_TIMEOUT,
  LINE_FAILED,             /* closed, broken, too long or cancelled */
} LineStatus;

/* Waits until the socket is ready for @events or the watch is stopped: 1, 0 at @deadline (a
 * monotonic time), -1 when stopped or broken. */
static int
wait_socket (Session *session,
             short    events,
             gint64   deadline)
{
  GPollFD cancel_fd;
  int result = -1;

  if (!g_cancellable_make_pollfd (session->idle->cancellable, &cancel_fd))
    return -1;
  for (;;)
    {
      struct pollfd fds[2] = {
        { .fd = session->socket, .events = events },
        { .fd = cancel_fd.fd, .events = POLLIN },
      };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      int n;

      if (g_cancellable_is_cancelled (session->idle->cancellable))
        break;
      if (left_ms <= 0)
        {
          result = 0;
          break;
        }
      n = poll (fds, 2, (int) MIN (left_ms, G_MAXINT));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || fds[1].revents != 0)
        break;
      if (fds[0].revents != 0)
        {
          result = 1;
          break;
        }
    }
  g_cancellable_release_fd (session->idle->cancellable);
  return result;
}

static gboolean
send_text (Session    *session,
           const char *text)
{
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_S * G_USEC_PER_SEC;
  gsize length = strlen (text), done = 0;

  while (done < length)
    {
      size_t sent = 0;
      CURLcode rc = curl_easy_send (session->curl, text + done, length - done, &sent);

      if (rc == CURLE_AGAIN)
        {
          if (wait_socket (session, POLLOUT, deadline) != 1)
            return FALSE;
          continue;
        }
      if (rc != CURLE_OK)
        return FALSE;
      done += sent;
    }
  return TRUE;
}

/* The next line the server sent (without its CRLF), waiting until @deadline for it. */
static LineStatus
read_line (Session  *session,
           gint64    deadline,
           char    **line)
{
  for (;;)
    {
      char buffer[4096];
      size_t received = 0;
      const char *end = memchr (session->in->str, '\n', session->in->len);
      CURLcode rc;

      if (end != NULL)
        {
          gsize length = end - session->in->str;

          *line = g_strndup (session->in->str, length > 0 && end[-1] == '\r' ? length - 1 : length);
          g_string_erase (session->in, 0, length + 1);
          return LINE_OK;
        }
      if (session->in->len > MAX_LINE_BYTES)
        return LINE_FAILED;
      rc = curl_easy_recv (session->curl, buffer, sizeof buffer, &received);
      if (rc == CURLE_AGAIN)
        {
          int ready = wait_socket (session, POLLIN, deadline);

          if (ready == 0)
            return LINE_TIMEOUT;
          if (ready < 0)
            return LINE_FAILED;
          continue;
        }
      if (rc != CURLE_OK || received == 0)
        return LINE_FAILED;
      g_string_append_len (session->in, buffer, received);
    }
}

/* "* 12 EXISTS": the mailbox has a new mail (or one more than the client knew of). */
static gboolean
is_exists (const char *line)
{
  const char *p = line + 2;

  if (!g_str_has_prefix (line, "* ") || !g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  return g_ascii_strcasecmp (p, " EXISTS") == 0;
}

/* Sends "TAG @command" and reads up to its tagged answer; TRUE when that is OK. With @idle_offered,
 * looks for IDLE among the capabilities the answer lists. */
static gboolean
command (Session    *session,
         const char *command,
         gboolean   *idle_offered)
{
  g_autofree char *tag = g_strdup_printf ("c%u", ++session->tag);
  g_autofree char *text = g_strdup_printf ("%s %s\r\n", tag, command);
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_S * G_USEC_PER_SEC;

  if (!send_text (session, text))
    return FALSE;
  for (;;)
    {
      g_autofree char *line = NULL;

      if (read_line (session, deadline, &line) != LINE_OK)
        return FALSE;
      if (idle_offered != NULL && g_ascii_strncasecmp (line, "* CAPABILITY ", 13) == 0)
        {
          g_auto (GStrv) words = g_strsplit (line + 13, " ", -1);

          for (guint i = 0; words[i] != NULL; i++)
            if (g_ascii_strcasecmp (words[i], "IDLE") == 0)
              *idle_offered = TRUE;
        }
      if (g_str_has_prefix (line, tag) && line[strlen (tag)] == ' ')
        return g_ascii_strncasecmp (line + strlen (tag) + 1, "OK", 2) == 0;
    }
}

/* One connection, from login until it fails, the server lacks IDLE or the watch stops. */
static ConfabMailIdleEvent
idle_session (ConfabMailIdle *idle,
              gint64         *ready_at)
{
  Session session = { idle, NULL, CURL_SOCKET_BAD, NULL, 0 };
  char detail[CURL_ERROR_SIZE] = "";
  ConfabMailIdleEvent outcome = CONFAB_MAIL_IDLE_DROPPED;
  gboolean offered = FALSE;
  g_autofree char *select = g_strdup_printf ("SELECT %s", idle->mailbox);
  CURLcode rc;

  *ready_at = 0;
  session.curl = curl_easy_init ();
  if (session.curl == NULL)
    return CONFAB_MAIL_IDLE_DROPPED;
  session.in = g_string_new (NULL);
  curl_easy_setopt (session.curl, CURLOPT_URL, idle->url);
  curl_easy_setopt (session.curl, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt (session.curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (session.curl, CURLOPT_CONNECTTIMEOUT, (long) CONNECT_TIMEOUT_S);
  curl_easy_setopt (session.curl, CURLOPT_USE_SSL,
                    idle->require_tls ? (long) CURLUSESSL_ALL : (long) CURLUSESSL_NONE);
  curl_easy_setopt (session.curl, CURLOPT_USERNAME, idle->user);
  curl_easy_setopt (session.curl, CURLOPT_PASSWORD, idle->password);
  curl_easy_setopt (session.curl, CURLOPT_ERRORBUFFER, detail);
  rc = curl_easy_perform (session.curl);
  if (rc != CURLE_OK ||
      curl_easy_getinfo (session.curl, CURLINFO_ACTIVESOCKET, &session.socket) != CURLE_OK ||
      session.socket == CURL_SOCKET_BAD)
    {
      if (!g_cancellable_is_cancelled (idle->cancellable))
        g_message ("Mailbox of site %s: cannot wait with IDLE: %s%s%s", idle->site_id,
                   curl_easy_strerror (rc), *detail ? " — " : "", detail);
      goto out;
    }

  /* the capabilities after login, which may differ from the greeting's */
  if (!command (&session, "CAPABILITY", &offered))
    goto out;
  if (!offered)
    {
      g_message ("Mailbox of site %s: the server offers no IMAP IDLE; it is polled", idle->site_id);
      outcome = CONFAB_MAIL_IDLE_UNSUPPORTED;
      goto out;
    }
  if (!command (&session, select, NULL))
    goto out;

  while (!g_cancellable_is_cancelled (idle->cancellable))
    {
      g_autofree char *tag = g_strdup_printf ("c%u", ++session.tag);
      g_autofree char *start = g_strdup_printf ("%s IDLE\r\n", tag);
      gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_S * G_USEC_PER_SEC;
      gboolean idling = FALSE, ended = FALSE;

      if (!send_text (&session, start))
        goto out;
      /* "+ idling", perhaps after news the server held back */
      while (!idling)
        {
          g_autofree char *line = NULL;

          if (read_line (&session, deadline, &line) != LINE_OK)
            goto out;
          if (line[0] == '+')
            idling = TRUE;
          else if (is_exists (line))
            post (idle, CONFAB_MAIL_IDLE_NEW_MAIL);
          else if (g_str_has_prefix (line, tag))
            {
              outcome = CONFAB_MAIL_IDLE_UNSUPPORTED;
              goto out;
            }
        }
      if (*ready_at == 0)
        {
          /* whatever came while there was no IDLE is read now */
          *ready_at = g_get_monotonic_time ();
          post (idle, CONFAB_MAIL_IDLE_READY);
        }

      deadline = g_get_monotonic_time () + IDLE_RENEW_S * G_USEC_PER_SEC;
      while (!ended)
        {
          g_autofree char *line = NULL;
          LineStatus status = read_line (&session, deadline, &line);

          if (status == LINE_FAILED)
            goto out;
          if (status == LINE_TIMEOUT)
            break;
          if (g_ascii_strncasecmp (line, "* BYE", 5) == 0)
            goto out;
          /* the fetching is the poller's, on its own connection: this one goes on idling */
          if (is_exists (line))
            post (idle, CONFAB_MAIL_IDLE_NEW_MAIL);
          else if (g_str_has_prefix (line, tag))
            ended = TRUE;      /* the server ended it: start another */
        }
      if (ended)
        continue;

      /* renewed before the server's limit */
      if (!send_text (&session, "DONE\r\n"))
        goto out;
      deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_S * G_USEC_PER_SEC;
      while (!ended)
        {
          g_autofree char *line = NULL;

          if (read_line (&session, deadline, &line) != LINE_OK)
            goto out;
          if (is_exists (line))
            post (idle, CONFAB_MAIL_IDLE_NEW_MAIL);
          else if (g_str_has_prefix (line, tag))
            ended = TRUE;
        }
    }

out:
  curl_easy_setopt (session.curl, CURLOPT_ERRORBUFFER, NULL);
  curl_easy_cleanup (session.curl);
  g_string_free (session.in, TRUE);
  return outcome;
}

static gpointer
idle_thread (gpointer user_data)
{
  ConfabMailIdle *idle = user_data;
  guint delay_s = RETRY_FIRST_S;

  while (!g_cancellable_is_cancelled (idle->cancellable))
    {
      gint64 ready_at = 0;
      ConfabMailIdleEvent outcome = idle_session (idle, &ready_at);
      GPollFD cancel_fd;

      if (g_cancellable_is_cancelled (idle->cancellable))
        break;
      post (idle, outcome);
      if (outcome == CONFAB_MAIL_IDLE_UNSUPPORTED)
        break;
      if (ready_at != 0 && g_get_monotonic_time () - ready_at > STABLE_S * G_USEC_PER_SEC)
        delay_s = RETRY_FIRST_S;
      g_message ("Mailbox of site %s: IDLE was cut; polling, trying again in %u s", idle->site_id,
                 delay_s);
      /* the delay, cut short by a stop */
      if (g_cancellable_make_pollfd (idle->cancellable, &cancel_fd))
        {
          g_poll (&cancel_fd, 1, (int) delay_s * 1000);
          g_cancellable_release_fd (idle->cancellable);
        }
      delay_s = MIN (delay_s * 2, RETRY_MAX_S);
    }
  mail_idle_unref (idle);
  return NULL;
}

/* --- the main loop's side --------------------------------------------------------------------- */

/* The mailbox of an imap(s)://host[:port]/MAILBOX[;UIDVALIDITY=…] address, quoted. */
static char *
quoted_mailbox (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_PATH, NULL);
  const char *path = uri != NULL ? g_uri_get_path (uri) : NULL;
  g_autofree char *raw = NULL, *name = NULL;
  g_autoptr (GString) quoted = g_string_new ("\"");
  char *cut;

  raw = g_strdup (path != NULL && *path == '/' ? path + 1 : "");
  if ((cut = strchr (raw, ';')) != NULL)
    *cut = '\0';
  while (*raw != '\0' && raw[strlen (raw) - 1] == '/')
    raw[strlen (raw) - 1] = '\0';
  name = g_uri_unescape_string (raw, NULL);
  if (name == NULL || *name == '\0')
    {
      g_free (name);
      name = g_strdup ("INBOX");
    }
  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      if (*p != '\r' && *p != '\n')
        g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (g_steal_pointer (&quoted), FALSE);
}

ConfabMailIdle *
confab_mail_idle_start (const char         *site_id,
                        const char         *url,
                        const char         *user,
                        const char         *password,
                        gboolean            require_tls,
                        ConfabMailIdleFunc  func,
                        gpointer            user_data)
{
  ConfabMailIdle *idle = g_new0 (ConfabMailIdle, 1);
  g_autofree char *name = g_strdup_printf ("confab-idle-%s", site_id);

  g_atomic_ref_count_init (&idle->ref);
  idle->site_id = g_strdup (site_id);
  idle->url = g_strdup (url);
  idle->user = g_strdup (user);
  idle->password = g_strdup (password);
  idle->mailbox = quoted_mailbox (url);
  idle->require_tls = require_tls;
  idle->cancellable = g_cancellable_new ();
  idle->context = g_main_context_ref_thread_default ();
  idle->func = func;
  idle->user_data = user_data;
  /* one reference for the caller, one for the thread */
  g_atomic_ref_count_inc (&idle->ref);
  g_thread_unref (g_thread_new (name, idle_thread, idle));
  return idle;
}

void
confab_mail_idle_stop (ConfabMailIdle *idle)
{
  if (idle == NULL)
    return;
  idle->stopped = TRUE;
  g_cancellable_cancel (idle->cancellable);
  mail_idle_unref (idle);
}

gboolean
confab_mail_idle_active (ConfabMailIdle *idle)
{
  return idle != NULL && idle->active;
}
