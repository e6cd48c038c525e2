/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mail-harness.c: real mail servers for the e-mail tests (see mail-harness.h) */
#include "mail-harness.h"
#include "relay-harness.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define START_TIMEOUT_MS 10000


struct _MailSink
{
  char        *dir;
  char        *reject;
  gboolean     stall;
  guint16      port;
  GSubprocess *process;
};

static void
init_gmime (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      g_mime_init ();
      g_once_init_leave (&done, 1);
    }
}

guint16
mail_free_port (void)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any, TRUE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* the servers die with the test's process, even when an assertion ends it */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Dovecot in a process group of its own: its imap processes outlive the master by about nine
 * seconds after a SIGTERM, the relay's IDLE link open all that while; a server that stops closes
 * its connections, so the whole group is stopped (stop_dovecot()). */
static void
dovecot_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  setpgid (0, 0);
}

static void
stop_dovecot (GSubprocess *process)
{
  const char *pid = g_subprocess_get_identifier (process);

  if (pid != NULL)
    kill (-(pid_t) g_ascii_strtoll (pid, NULL, 10), SIGTERM);
  g_subprocess_wait (process, NULL, NULL);
}

static const char *
python (void)
{
  /* Debian's python3, which has python3-aiosmtpd, before any other one in PATH */
  return g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) ? "/usr/bin/python3" : "python3";
}

static void
sink_spawn (MailSink *sink)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "smtp-sink.py", NULL);
  g_autofree char *line = NULL;

  g_ptr_array_add (argv, g_strdup (python ()));
  g_ptr_array_add (argv, g_strdup (script));
  g_ptr_array_add (argv, g_strdup ("--dir"));
  g_ptr_array_add (argv, g_strdup (sink->dir));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", sink->port));
  if (sink->reject != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--reject-rcpt"));
      g_ptr_array_add (argv, g_strdup (sink->reject));
    }
  if (sink->stall)
    g_ptr_array_add (argv, g_strdup ("--stall"));
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  sink->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  /* "PORT n" once it listens; nothing (EOF) when it could not start */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sink->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL || !g_str_has_prefix (line, "PORT "))
    g_error ("smtp-sink.py did not start (is python3-aiosmtpd installed? "
             "scripts/install-deps tests installs it)");
  sink->port = (guint16) g_ascii_strtoull (line + 5, NULL, 10);
  g_assert_cmpuint (sink->port, >, 0);
}

MailSink *
mail_sink_start (guint16     port,
                 const char *reject_rcpt)
{
  MailSink *sink = g_new0 (MailSink, 1);
  g_autoptr (GError) error = NULL;

  init_gmime ();
  sink->dir = g_dir_make_tmp ("confab-smtp-XXXXXX", &error);
  g_assert_no_error (error);
  sink->port = port;
  sink->reject = g_strdup (reject_rcpt);
  sink_spawn (sink);
  return sink;
}

MailSink *
mail_sink_start_stalled (void)
{
  MailSink *sink = g_new0 (MailSink, 1);
  g_autoptr (GError) error = NULL;

  init_gmime ();
  sink->dir = g_dir_make_tmp ("confab-smtp-XXXXXX", &error);
  g_assert_no_error (error);
  sink->stall = TRUE;
  sink_spawn (sink);
  return sink;
}

guint16
mail_sink_port (MailSink *sink)
{
  return sink->port;
}

void
mail_sink_stop (MailSink *sink)
{
  if (sink->process == NULL)
    return;
  g_subprocess_force_exit (sink->process);
  g_subprocess_wait (sink->process, NULL, NULL);
  g_clear_object (&sink->process);
}

void
mail_sink_resume (MailSink *sink)
{
  g_assert_null (sink->process);
  sink_spawn (sink);
}

void
mail_sink_free (MailSink *sink)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (sink == NULL)
    return;
  mail_sink_stop (sink);
  dir = g_dir_open (sink->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (sink->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (sink->dir);
  g_free (sink->dir);
  g_free (sink->reject);
  g_free (sink);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The mails received so far, in order: their file base names (without extension). */
static GPtrArray *
list_mails (MailSink *sink)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = g_dir_open (sink->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_strndup (name, strlen (name) - 5));
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

static gboolean
mail_is_to (MailSink   *sink,
            const char *base,
            const char *rcpt)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.json", sink->dir, base);
  g_autofree char *text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *to;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !json_parser_load_from_data (parser, text, -1, NULL))
    return FALSE;
  to = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "rcpt_tos");
  for (guint i = 0; i < json_array_get_length (to); i++)
    if (g_ascii_strcasecmp (json_array_get_string_element (to, i), rcpt) == 0)
      return TRUE;
  return FALSE;
}

guint
mail_sink_count (MailSink   *sink,
                 const char *rcpt)
{
  g_autoptr (GPtrArray) names = list_mails (sink);
  guint count = 0;

  for (guint i = 0; i < names->len; i++)
    if (mail_is_to (sink, names->pdata[i], rcpt))
      count++;
  return count;
}

guint
mail_sink_total (MailSink *sink)
{
  g_autoptr (GPtrArray) names = list_mails (sink);

  return names->len;
}

GMimeMessage *
mail_parse (const char *text,
            gsize       length)
{
  g_autoptr (GMimeStream) stream = NULL;
  g_autoptr (GMimeParser) parser = NULL;

  init_gmime ();
  stream = g_mime_stream_mem_new_with_buffer (text, length);
  parser = g_mime_parser_new_with_stream (stream);
  return g_mime_parser_construct_message (parser, NULL);
}

GMimeMessage *
mail_sink_wait_for (MailSink   *sink,
                    const char *rcpt,
                    guint       index,
                    guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * test_timeout_multiplier () * 1000;

  do
    {
      g_autoptr (GPtrArray) names = list_mails (sink);
      guint seen = 0;

      for (guint i = 0; i < names->len; i++)
        if (mail_is_to (sink, names->pdata[i], rcpt) && seen++ == index)
          {
            g_autofree char *path = g_strdup_printf ("%s/%s.eml", sink->dir, (char *) names->pdata[i]);
            g_autofree char *text = NULL;
            gsize length = 0;

            g_assert_true (g_file_get_contents (path, &text, &length, NULL));
            return mail_parse (text, length);
          }
      test_sleep_ms (50);
    }
  while (g_get_monotonic_time () < deadline);
  return NULL;
}

const char *
mail_header (GMimeMessage *message,
             const char   *name)
{
  return g_mime_object_get_header (GMIME_OBJECT (message), name);
}

char *
mail_text_body (GMimeMessage *message)
{
  GMimeObject *body = g_mime_message_get_body (message);
  g_autofree char *text = NULL;

  if (GMIME_IS_MULTIPART (body))
    body = g_mime_multipart_get_part (GMIME_MULTIPART (body), 0);
  g_assert_true (GMIME_IS_TEXT_PART (body));
  text = g_mime_text_part_get_text (GMIME_TEXT_PART (body));
  /* CRLF as sent → LF */
  {
    g_auto (GStrv) lines = g_strsplit (text, "\r\n", -1);

    return g_strjoinv ("\n", lines);
  }
}

/* --- Dovecot ---------------------------------------------------------------------------------- */

/* Dovecot refuses uid 0 for a mail user: the mails belong to nobody, as its login processes do */
#define MAIL_UID 65534
#define MAIL_GID 65534

struct _MailBox
{
  char        *dir;
  char        *maildir;   /* DIR/mail/USER */
  char        *url;
  guint16      port;
  guint        serial;
  GSubprocess *process;
};

static void
own_by_mail_user (const char *path)
{
  if (chown (path, MAIL_UID, MAIL_GID) != 0)
    g_error ("chown %s: %s", path, g_strerror (errno));
}

static gboolean
box_answers (guint16 port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  char greeting[5] = "";
  gssize got;

  g_socket_client_set_timeout (client, 1);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  if (connection == NULL)
    return FALSE;
  got = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), greeting, 4,
                             NULL, NULL);
  return got == 4 && memcmp (greeting, "* OK", 4) == 0;
}

MailBox *
mail_box_start (const char *user,
                const char *password)
{
  return mail_box_start_full (user, password, TRUE);
}

MailBox *
mail_box_start_full (const char *user,
                     const char *password,
                     gboolean    offer_idle)
{
  MailBox *box = g_new0 (MailBox, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *config = NULL, *config_path = NULL, *passwd = NULL, *passwd_path = NULL;
  g_autofree char *mail_root = NULL, *home = NULL;
  const char *dovecot = "/usr/sbin/dovecot";

  if (!g_file_test (dovecot, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("Dovecot is not installed (no %s): scripts/install-deps tests installs dovecot-imapd",
             dovecot);
  init_gmime ();
  /* the harness's per-test TMPDIR is private (0700): Dovecot's processes as nobody must pass */
  if (strcmp (g_get_tmp_dir (), "/tmp") != 0)
    g_assert_cmpint (g_chmod (g_get_tmp_dir (), 0711), ==, 0);
  box->dir = g_dir_make_tmp ("confab-imap-XXXXXX", &error);
  g_assert_no_error (error);
  /* its login processes run as nobody and must reach their sockets in here */
  g_assert_cmpint (g_chmod (box->dir, 0755), ==, 0);
  mail_root = g_build_filename (box->dir, "mail", NULL);
  home = g_build_filename (box->dir, "home", NULL);
  box->maildir = g_build_filename (mail_root, user, NULL);
  for (guint i = 0; i < 3; i++)
    {
      static const char * const subdirs[] = { "new", "cur", "tmp" };
      g_autofree char *path = g_build_filename (box->maildir, subdirs[i], NULL);

      g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
      own_by_mail_user (path);
    }
  g_assert_cmpint (g_mkdir_with_parents (home, 0755), ==, 0);
  own_by_mail_user (home);
  own_by_mail_user (mail_root);
  own_by_mail_user (box->maildir);

  passwd_path = g_build_filename (box->dir, "passwd", NULL);
  passwd = g_strdup_printf ("%s:{PLAIN}%s\n", user, password);
  g_assert_true (g_file_set_contents (passwd_path, passwd, -1, NULL));

  for (int attempt = 1; ; attempt++)
    {
      g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
      gint64 deadline;

      box->port = mail_free_port ();
      config = g_strdup_printf (
        "protocols = imap\n"
        "listen = 127.0.0.1\n"
        "base_dir = %s/run\n"
        "state_dir = %s/state\n"
        "log_path = %s/dovecot.log\n"
        "ssl = no\n"
        "disable_plaintext_auth = no\n"
        "auth_mechanisms = plain login\n"
        "default_login_user = nobody\n"
        "default_internal_user = nobody\n"
        "mail_location = maildir:%s/%%u\n"
        "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN %s\n}\n"
        "userdb {\n  driver = static\n  args = uid=%d gid=%d home=%s/%%u\n}\n"
        "service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = %u\n  }\n"
        "  inet_listener imaps {\n    port = 0\n  }\n}\n"
        "service pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n}\n"
        /* Dovecot's capabilities after login, but IDLE */
        "%s",
        box->dir, box->dir, box->dir, mail_root, passwd_path, MAIL_UID, MAIL_GID, home, box->port,
        offer_idle ? "" : "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES "
                          "MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 "
                          "CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS "
                          "BINARY MOVE SNIPPET=FUZZY LITERAL+ SPECIAL-USE\n");
      config_path = g_build_filename (box->dir, "dovecot.conf", NULL);
      g_assert_true (g_file_set_contents (config_path, config, -1, NULL));
      g_clear_pointer (&config, g_free);

      g_subprocess_launcher_set_child_setup (launcher, dovecot_setup, NULL, NULL);
      box->process = g_subprocess_launcher_spawn (launcher, &error, dovecot, "-F", "-c", config_path, NULL);
      g_assert_no_error (error);
      g_clear_pointer (&config_path, g_free);

      deadline = g_get_monotonic_time () + START_TIMEOUT_MS * 1000;
      while (!box_answers (box->port) && g_get_monotonic_time () < deadline)
        g_usleep (20000);
      if (box_answers (box->port))
        break;
      /* the free port was taken meanwhile: another one */
      g_subprocess_force_exit (box->process);
      g_subprocess_wait (box->process, NULL, NULL);
      g_clear_object (&box->process);
      if (attempt == 3)
        g_error ("Dovecot did not start (see %s/dovecot.log)", box->dir);
    }

  box->url = g_strdup_printf ("imap://127.0.0.1:%u/INBOX", box->port);
  return box;
}

const char *
mail_box_url (MailBox *box)
{
  return box->url;
}

void
mail_box_deliver (MailBox    *box,
                  const char *text)
{
  g_autofree char *name = g_strdup_printf ("%" G_GINT64_FORMAT ".%u.confab-test", g_get_real_time (),
                                           ++box->serial);
  g_autofree char *tmp = g_build_filename (box->maildir, "tmp", name, NULL);
  g_autofree char *new = g_build_filename (box->maildir, "new", name, NULL);

  /* written in tmp/ and moved into new/, as a delivery agent does */
  g_assert_true (g_file_set_contents (tmp, text, -1, NULL));
  own_by_mail_user (tmp);
  g_assert_cmpint (g_rename (tmp, new), ==, 0);
}

guint
mail_box_unseen (MailBox *box)
{
  guint count = 0;

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_build_filename (box->maildir, i == 0 ? "new" : "cur", NULL);
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          const char *flags = strstr (name, ":2,");

          if (flags == NULL || strchr (flags + 3, 'S') == NULL)
            count++;
        }
    }
  return count;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
mail_box_stop (MailBox *box)
{
  g_assert_nonnull (box->process);
  stop_dovecot (box->process);
  g_clear_object (&box->process);
}

void
mail_box_resume (MailBox *box)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *config_path = g_build_filename (box->dir, "dovecot.conf", NULL);
  g_autoptr (GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * 1000;

  g_assert_null (box->process);
  g_subprocess_launcher_set_child_setup (launcher, dovecot_setup, NULL, NULL);
  box->process = g_subprocess_launcher_spawn (launcher, &error, "/usr/sbin/dovecot", "-F", "-c",
                                              config_path, NULL);
  g_assert_no_error (error);
  while (!box_answers (box->port))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Dovecot did not start again on port %u (see %s/dovecot.log)", box->port, box->dir);
      g_usleep (20000);
    }
}

void
mail_box_free (MailBox *box)
{
  if (box == NULL)
    return;
  if (box->process != NULL)
    {
      stop_dovecot (box->process);
      g_clear_object (&box->process);
    }
  if (g_getenv ("CONFAB_TEST_KEEP_MAILBOX") == NULL)
    remove_tree (box->dir);
  g_free (box->dir);
  g_free (box->maildir);
  g_free (box->url);
  g_free (box);
}
