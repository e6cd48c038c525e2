/* SPDX-License-Identifier: GPL-3.0-or-later */
/* desktop-catchup.c: the desktop app catching up on a relay full of conversations.
 *
 * Runs the real app (desktop/ui, in-process, as the UI tests do) with an empty cache, signs in
 * through its sign-in form to the relay of $CONFAB_RELAY_URL, and measures frames and main-loop
 * stalls (bench/frame-meter.h) from the click until the inbox holds $BENCH_CONVERSATIONS rows
 * and the client is online (the relay's "synced" comes after every event of the catch-up).
 * Prints one JSON line, then one of memory: RSS at the idle sign-in form (the app's floor),
 * after the catch-up, and with $BENCH_LONG_CONVERSATION (a conversation id) open in the chat.
 * Run by bench/desktop-catchup.sh; not a test. */
#include <adwaita.h>
#include <malloc.h>
#include <sqlite3.h>
#include <string.h>

#include "confab-account.h"
#include "confab-application.h"
#include "confab-conversation-list.h"
#include "confab-settings.h"
#include "confab-window.h"
#include "frame-meter.h"

static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
iterate_until (gboolean (*done) (gpointer),
               gpointer   data,
               guint      timeout_s,
               const char *what)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > end)
        g_error ("bench: no %s within %u s", what, timeout_s);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
has_sign_in (gpointer data)
{
  ConfabWindow *window = confab_application_get_window (data);

  return window != NULL && find_named (GTK_WIDGET (window), "relay-entry") != NULL &&
         gtk_widget_get_mapped (GTK_WIDGET (window));
}

typedef struct {
  ConfabApplication *app;
  guint              want;
} Target;

static guint
inbox_rows (ConfabApplication *app)
{
  ConfabWindow *window = confab_application_get_window (app);
  GtkWidget *view = window ? find_named (GTK_WIDGET (window), "conversation-list") : NULL;

  if (view == NULL || gtk_list_view_get_model (GTK_LIST_VIEW (view)) == NULL)
    return 0;
  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (view))));
}

static gboolean
caught_up (gpointer data)
{
  Target *target = data;
  ConfabWindow *window = confab_application_get_window (target->app);
  ConfabAccount *account = window ? confab_window_get_account (window) : NULL;

  return account != NULL &&
         confab_client_get_state (confab_account_get_client (account)) == CONFAB_CLIENT_ONLINE &&
         inbox_rows (target->app) >= target->want;
}

static gboolean
syncing (gpointer data)
{
  ConfabWindow *window = confab_application_get_window (data);
  ConfabAccount *account = window ? confab_window_get_account (window) : NULL;

  return account != NULL &&
         confab_client_get_state (confab_account_get_client (account)) >= CONFAB_CLIENT_SYNCING;
}

static long
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, field)) == NULL)
    return -1;
  return strtol (line + strlen (field), NULL, 10);
}

/* BENCH_SMAPS: the mappings that hold the most of the RSS, by file (or kind), to stderr. */
static void
print_smaps (const char *when)
{
  g_autofree char *smaps = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GList) names = NULL;
  char *name = NULL;

  if (g_getenv ("BENCH_SMAPS") == NULL ||
      !g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL))
    return;
  lines = g_strsplit (smaps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_ascii_isxdigit (line[0]) && strchr (line, '-') != NULL && strchr (line, ' ') != NULL)
        {
          g_auto (GStrv) fields = g_strsplit_set (line, " ", -1);
          const char *path = "[anon]";

          for (guint k = 5; fields[k] != NULL; k++)
            if (*fields[k] != '\0')
              {
                path = fields[k];
                break;
              }
          g_free (name);
          name = g_strdup (path);
        }
      else if (g_str_has_prefix (line, "Rss:") && name != NULL)
        {
          long kib = strtol (line + 4, NULL, 10);
          gpointer old = g_hash_table_lookup (by_name, name);

          g_hash_table_insert (by_name, g_strdup (name), GINT_TO_POINTER (GPOINTER_TO_INT (old) + kib));
        }
    }
  g_free (name);
  for (guint n = 0; n < 12; n++)
    {
      GHashTableIter iter;
      gpointer key, value;
      const char *best = NULL;
      int most = 0;

      g_hash_table_iter_init (&iter, by_name);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (GPOINTER_TO_INT (value) > most)
          most = GPOINTER_TO_INT (value), best = key;
      if (best == NULL)
        break;
      g_printerr ("mem: %s: %.1f MiB %s\n", when, most / 1024.0, best);
      g_hash_table_remove (by_name, best);
    }
}

static long
rss_kib (void)
{
  return status_kib ("VmRSS:");
}

static gboolean
has_message_rows (GtkWidget *root)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, g_type_from_name ("ConfabMessageRow")) && gtk_widget_get_mapped (root))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_message_rows (child))
      return TRUE;
  return FALSE;
}

static gboolean
chat_shown (gpointer data)
{
  ConfabWindow *window = confab_application_get_window (data);

  return window != NULL && has_message_rows (GTK_WIDGET (window));
}

static void
settle (guint seconds)
{
  for (gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC; g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, FALSE), g_usleep (2000);
}

int
main (int    argc,
      char **argv)
{
  const char *url = g_getenv ("CONFAB_RELAY_URL");
  const char *email = g_getenv ("BENCH_EMAIL");
  const char *password = g_getenv ("BENCH_PASSWORD");
  const char *want = g_getenv ("BENCH_CONVERSATIONS");
  const char *long_id = g_getenv ("BENCH_LONG_CONVERSATION");
  double rss_idle, rss_after, rss_open = -1, rss_anon, rss_file, heap_idle;
  struct mallinfo2 info;
  g_autoptr (ConfabApplication) app = NULL;
  Target target = { 0 };
  FrameMeter meter;
  GtkWidget *root;

  if (url == NULL || email == NULL || password == NULL || want == NULL)
    g_error ("bench: CONFAB_RELAY_URL, BENCH_EMAIL, BENCH_PASSWORD and BENCH_CONVERSATIONS");
  g_setenv ("CONFAB_NO_SOUND", "1", TRUE);

  adw_init ();
  app = confab_application_new ("chat.confab.Confab.Bench", G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (app), NULL, NULL))
    g_error ("bench: cannot register the application");
  g_object_set (confab_application_get_settings (app), "notifications", FALSE, NULL);
  g_application_activate (G_APPLICATION (app));
  iterate_until (has_sign_in, app, 30, "sign-in form");
  settle (2);
  rss_idle = rss_kib () / 1024.0;
  heap_idle = mallinfo2 ().uordblks / 1048576.0;
  print_smaps ("idle");

  root = GTK_WIDGET (confab_application_get_window (app));
  gtk_editable_set_text (GTK_EDITABLE (find_named (root, "relay-entry")), url);
  gtk_editable_set_text (GTK_EDITABLE (find_named (root, "email-entry")), email);
  gtk_editable_set_text (GTK_EDITABLE (find_named (root, "password-entry")), password);

  /* from the subscribe on: signing in (keyring, the inbox page built) is not the catch-up */
  g_signal_emit_by_name (find_named (root, "sign-in-button"), "clicked");
  iterate_until (syncing, app, 60, "subscribe");
  frame_meter_start (&meter, root);
  target.app = app;
  target.want = (guint) g_ascii_strtoull (want, NULL, 10);
  iterate_until (caught_up, &target, 900, "caught-up inbox");
  frame_meter_stop (&meter);
  frame_meter_print (&meter, "confab", inbox_rows (app));

  /* settle, then what the app holds with the whole inbox known */
  settle (3);
  rss_after = rss_kib () / 1024.0;
  info = mallinfo2 ();
  if (long_id != NULL && *long_id != '\0')
    {
      /* then with the long conversation open, as the agent would open it from the inbox */
      g_action_group_activate_action (G_ACTION_GROUP (app), "open-conversation",
                                      g_variant_new_string (long_id));
      iterate_until (chat_shown, app, 120, "open conversation");
      settle (3);
      rss_open = rss_kib () / 1024.0;
      info = mallinfo2 ();
    }
  /* the heap: what it holds in use, and what it keeps free (fragments of the catch-up); what
   * of the RSS is the app's (anonymous) and what mapped files (libraries, fonts); and what a
   * malloc_trim() would still give back */
  print_smaps ("end");
  rss_anon = status_kib ("RssAnon:") / 1024.0;
  rss_file = status_kib ("RssFile:") / 1024.0;
  malloc_trim (0);
  g_print ("{\"rss_mib_idle\":%.1f,\"rss_mib_after\":%.1f,\"rss_mib_open\":%.1f,"
           "\"heap_in_use_mib\":%.1f,\"heap_free_mib\":%.1f,\"rss_anon_mib\":%.1f,"
           "\"rss_file_mib\":%.1f,\"rss_mib_trimmed\":%.1f,\"sqlite_mib\":%.1f,"
           "\"heap_in_use_idle_mib\":%.1f}\n",
           rss_idle, rss_after, rss_open, info.uordblks / 1048576.0, info.fordblks / 1048576.0,
           rss_anon, rss_file, rss_kib () / 1024.0, sqlite3_memory_used () / 1048576.0,
           heap_idle);

  gtk_window_destroy (GTK_WINDOW (root));
  g_application_quit (G_APPLICATION (app));
  return 0;
}
