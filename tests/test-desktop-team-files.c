/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-team-files.c: the last of issue 14 in the real app, against a real relay under
 * Xvfb with fatal criticals and real X input (xdotool): the agents' pictures beside their
 * messages and in the team page (loaded once, kept in the cache directory, fetched anew when a
 * new picture makes a new URL; the initials without one), and files in the offline outbox (a
 * file dropped while the relay is down waits in the cache directory with its card saying so,
 * then goes once, in order with the text around it; a waiting one can be cancelled). */
#define G_LOG_DOMAIN "test-desktop-team-files"

#include <string.h>

#include "confab-cache.h"
#include "confab-client-avatars.h"
#include "confab-team-page.h"
#include "test-desktop-app-util.h"

/* --------------------------------------------------------------- util --- */

static void
collect_named (GtkWidget  *root,
               const char *name,
               GPtrArray  *found)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0 && gtk_widget_get_mapped (root))
    g_ptr_array_add (found, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_named (child, name, found);
}

/* Mapped widgets named @name under @root, in tree order. */
static GPtrArray *
all_named (GtkWidget  *root,
           const char *name)
{
  GPtrArray *found = g_ptr_array_new ();

  collect_named (root, name, found);
  return found;
}

/* A second member of the world's site; its token (and id). */
static char *
add_agent (TestWorld  *world,
           const char *email,
           const char *name,
           char      **out_user_id)
{
  g_autoptr (JsonObject) user = test_relay_create_user (world->relay, email, "agent password 1", name);
  g_autofree char *err = NULL;

  if (test_relay_admin (world->relay, NULL, &err, "add-member",
                        "--data-dir", test_relay_data_dir (world->relay),
                        "--site", world->site_id, "--email", email, "--role", "agent", NULL) != 0)
    g_error ("admin add-member failed: %s", err);
  *out_user_id = g_strdup (test_obj_string (user, "id"));
  return test_relay_login (world->relay, email, "agent password 1");
}

/* ------------------------------------------------------------ avatars --- */

typedef struct {
  GtkWidget *root;
  guint      n;        /* avatars with a picture */
} Pictures;

static guint
count_pictures (GtkWidget  *root,
                const char *name)
{
  g_autoptr (GPtrArray) avatars = all_named (root, name);
  guint n = 0;

  for (guint i = 0; i < avatars->len; i++)
    if (adw_avatar_get_custom_image (ADW_AVATAR (avatars->pdata[i])) != NULL)
      n++;
  return n;
}

static gboolean
n_message_avatars (gpointer data)
{
  Pictures *p = data;
  g_autoptr (GPtrArray) avatars = all_named (p->root, "message-avatar");

  return avatars->len == p->n;
}

static gboolean
n_message_pictures (gpointer data)
{
  Pictures *p = data;

  return count_pictures (p->root, "message-avatar") == p->n;
}

static gboolean
n_member_pictures (gpointer data)
{
  Pictures *p = data;

  return count_pictures (p->root, "member-avatar") == p->n;
}

typedef struct {
  ConfabClient *client;
  const char   *user_id;
  char         *url;    /* the URL it must not be any more */
} UrlChange;

static gboolean
url_changed (gpointer data)
{
  UrlChange *u = data;
  g_autofree char *now = confab_client_dup_avatar_url (u->client, u->user_id);

  return now != NULL && g_strcmp0 (now, u->url) != 0;
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static gboolean
file_gone (gpointer data)
{
  return !g_file_test (data, G_FILE_TEST_EXISTS);
}

/* Bea's three rows (the owner's is the other one, with initials) all show one picture, not
 * @data (the one before). */
static gboolean
new_picture_everywhere (gpointer data)
{
  g_autoptr (GPtrArray) avatars = all_named (main_window, "message-avatar");
  GdkPaintable *shown = NULL;
  guint n = 0;

  for (guint i = 0; i < avatars->len; i++)
    {
      GdkPaintable *picture = adw_avatar_get_custom_image (avatars->pdata[i]);

      if (picture == NULL)
        continue;
      if (picture == data || (shown != NULL && picture != shown))
        return FALSE;
      shown = picture;
      n++;
    }
  return n == 3;
}

static GBytes *
other_picture (void)
{
  /* a different picture (another hash, so another URL): a plain 64 × 64 square */
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 64);
  g_autofree char *data = NULL;
  gsize size = 0;

  gdk_pixbuf_fill (pixbuf, 0x2a7fffff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &data, &size, "png", NULL, NULL));
  return g_bytes_new_take (g_steal_pointer (&data), size);
}

static void
put_avatar (TestWorld  *world,
            const char *token,
            GBytes     *picture)
{
  g_autoptr (TestResponse) put = test_http_bytes (world->relay, "PUT", "/api/v1/me/avatar", token,
                                                  picture, "image/png", NULL);

  g_assert_cmpint (put->status, ==, 200);
}

/* Bea (an agent with a picture) and the owner (none: initials) answer a visitor; the app
 * shows Bea's face beside both her messages — one load, one texture, a file in the cache
 * directory — and the owner's initials; a new picture of Bea's (a new URL) replaces it, the old
 * file goes; the team page shows the same faces. */
static void
test_agent_avatars (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr (GBytes) picture = make_picture ();
  g_autoptr (GBytes) second = other_picture ();
  g_autofree char *conversation_id = NULL;
  g_autofree char *bea_id = NULL;
  g_autofree char *bea_token = add_agent (world, "bea@a.test", "Bea Rossi", &bea_id);
  g_autoptr (TestWs) bea = NULL;
  g_autofree char *old_file = NULL;
  g_autoptr (GPtrArray) avatars = NULL;
  g_autofree char *url = NULL;
  g_autoptr (GdkPaintable) old_picture = NULL;
  GtkWidget *root, *window;
  ConfabClient *client;
  App app = { 0 };
  AppText at;
  Pictures p;
  UrlChange u;

  {
    g_autoptr (TestResponse) probe = test_http (world->relay, "DELETE", "/api/v1/me/avatar",
                                                world->token, NULL, NULL);

    if (probe->status != 204)
      {
        test_harness_skip ("the relay has no avatars yet (issue 14's relay side)");
        return;
      }
  }
  put_avatar (world, bea_token, picture);
  test_ws_ignore (world->visitor, "agents_online", "typing", "read", NULL);
  test_visitor_say (world->visitor, "Do you ship to Norway?", &conversation_id);
  bea = test_ws_agent (world->relay, bea_token);
  test_agent_subscribe (bea, 0, NULL);
  test_ws_sendf (bea, "{'type':'message','conversation_id':'%s','client_id':'bea-1','body':'Yes, we do.'}",
                 conversation_id);
  test_ws_wait_for (bea, "ack", TEST_TIMEOUT_MS);
  test_ws_sendf (bea, "{'type':'message','conversation_id':'%s','client_id':'bea-2','body':'Within 5 days.'}",
                 conversation_id);
  test_ws_wait_for (bea, "ack", TEST_TIMEOUT_MS);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  x_focus (GTK_WINDOW (app.window));
  root = GTK_WIDGET (app.window);
  client = client_of (&app);
  at = (AppText) { &app, "1" };
  wait_until ("the conversation in the inbox", has_n_conversations, &at);
  confab_window_open_conversation (app.window, conversation_id);
  at = (AppText) { &app, conversation_id };
  wait_until ("the conversation", conversation_open, &at);

  /* the owner answers from the app (real keys): initials, no picture */
  x_type_text ("Bea is right.");
  x_key ("Return");
  p = (Pictures) { root, 3 };
  wait_until ("three agent messages", n_message_avatars, &p);
  p = (Pictures) { root, 2 };
  wait_until ("Bea's face beside both her messages", n_message_pictures, &p);
  avatars = all_named (root, "message-avatar");
  g_assert_cmpuint (avatars->len, ==, 3);
  /* one load: the same texture in both rows */
  g_assert_true (adw_avatar_get_custom_image (avatars->pdata[0]) ==
                 adw_avatar_get_custom_image (avatars->pdata[1]));
  g_assert_null (adw_avatar_get_custom_image (avatars->pdata[2]));
  g_assert_cmpstr (adw_avatar_get_text (avatars->pdata[2]), ==,
                   confab_client_get_user_name (client));
  /* kept in the cache directory for the next start */
  url = confab_client_dup_avatar_url (client, bea_id);
  g_assert_nonnull (url);
  old_file = confab_client_avatar_file (client, url);
  g_assert_true (g_str_has_prefix (old_file, g_get_user_cache_dir ()));
  wait_until ("Bea's picture in the cache directory", file_exists, old_file);
  settle (300);
  g_free (save_screenshot (root, "conversation-avatars"));

  /* the team page: the same faces */
  window = adw_preferences_window_new ();
  {
    GtkWidget *page = confab_team_page_new (client);

    g_object_set (page, "site-id", world->site_id, NULL);
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (app.window));
    gtk_window_set_default_size (GTK_WINDOW (window), 820, 600);
    adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
    gtk_window_present (GTK_WINDOW (window));
  }
  p = (Pictures) { window, 1 };
  wait_until ("Bea's face in the team page", n_member_pictures, &p);
  {
    g_autoptr (GPtrArray) members = all_named (window, "member-avatar");

    g_assert_cmpuint (members->len, ==, 2);
  }
  settle (200);
  g_free (save_screenshot (window, "team-avatars"));
  gtk_window_destroy (GTK_WINDOW (window));

  /* a new picture: a new URL, heard with Bea's next message; fetched, the old file goes */
  old_picture = g_object_ref (adw_avatar_get_custom_image (avatars->pdata[0]));
  put_avatar (world, bea_token, second);
  test_ws_sendf (bea, "{'type':'message','conversation_id':'%s','client_id':'bea-3','body':'Anything else?'}",
                 conversation_id);
  u = (UrlChange) { client, bea_id, url };
  wait_until ("Bea's new URL", url_changed, &u);
  p = (Pictures) { root, 3 };
  wait_until ("Bea's face beside her three messages", n_message_pictures, &p);
  wait_until ("the new picture in each of Bea's rows", new_picture_everywhere, old_picture);
  {
    g_autofree char *new_url = confab_client_dup_avatar_url (client, bea_id);
    g_autofree char *new_file = confab_client_avatar_file (client, new_url);

    wait_until ("the new picture in the cache directory", file_exists, new_file);
  }
  wait_until ("the old picture gone from the cache directory", file_gone, old_file);
  app_stop (&app);
}

/* ------------------------------------------------------ offline files --- */

static const char pdf_bytes[] =
  "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
  "2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

static gboolean
outbox_is (gpointer data)
{
  AppText *at = data;
  ConfabCache *cache = confab_account_get_cache (confab_window_get_account (at->app->window));

  return confab_cache_outbox_length (cache) == (guint) g_ascii_strtoull (at->text, NULL, 10);
}

static gboolean
n_waiting (gpointer data)
{
  Pictures *p = data;
  g_autoptr (GPtrArray) boxes = all_named (p->root, "message-waiting");

  return boxes->len == p->n;
}

/* Files in the cache directory's outbox/ */
static guint
n_outbox_files (void)
{
  g_autofree char *dir_path = g_build_filename (g_get_user_cache_dir (), "confab", "outbox", NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static gboolean
no_outbox_files (gpointer data)
{
  return n_outbox_files () == 0;
}

typedef struct {
  TestWorld  *world;
  const char *conversation_id;
  guint       n;
} Posted;

static JsonArray *
relay_messages (TestWorld  *world,
                const char *conversation_id,
                TestResponse **out)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);

  *out = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  if ((*out)->status != 200)
    return NULL;
  return json_object_get_array_member (test_response_object (*out), "messages");
}

static guint
n_agent_messages (TestWorld  *world,
                  const char *conversation_id,
                  JsonArray **out_messages,
                  TestResponse **out)
{
  JsonArray *messages = relay_messages (world, conversation_id, out);
  guint n = 0;

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);

      if (g_strcmp0 (test_obj_string (m, "sender.type"), "agent") == 0)
        n++;
    }
  *out_messages = messages;
  return n;
}

static gboolean
relay_has_n (gpointer data)
{
  Posted *p = data;
  g_autoptr (TestResponse) response = NULL;
  JsonArray *messages = NULL;

  return n_agent_messages (p->world, p->conversation_id, &messages, &response) >= p->n;
}

static void
drop_file (GtkWidget  *root,
           const char *dir,
           const char *name,
           const char *contents,
           gsize       size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);

  g_assert_true (g_file_set_contents (path, contents, size, NULL));
  g_assert_true (drop_files (drop_target_of (find_type (root, g_type_from_name ("ConfabChatView"))), file));
}

/* The relay is down: a text, a PDF dropped, a text, and a second file whose send is cancelled
 * (a real click on "Cancel"). The card says the file waits; its bytes are in the cache
 * directory. The relay comes back: exactly one message with the file reaches it, between the
 * two texts, and nothing of the cancelled one; the outbox and its files are empty. */
static void
test_offline_file (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT);
  g_autoptr (TestResponse) response = NULL;
  g_autofree char *conversation_id = NULL;
  JsonArray *messages = NULL;
  GPtrArray *agent = g_ptr_array_new ();
  GtkWidget *root, *cancel;
  App app = { 0 };
  AppText at;
  Pictures p;
  Posted posted;

  test_ws_ignore (world->visitor, "agents_online", "typing", "read", NULL);
  test_visitor_say (world->visitor, "Can you send me the invoice?", &conversation_id);

  app_start (&app, world->relay, FALSE);
  app_activate (&app);
  sign_in (&app, world->relay, world->email, world->password);
  x_focus (GTK_WINDOW (app.window));
  root = GTK_WIDGET (app.window);
  at = (AppText) { &app, "1" };
  wait_until ("the conversation in the inbox", has_n_conversations, &at);
  confab_window_open_conversation (app.window, conversation_id);
  at = (AppText) { &app, conversation_id };
  wait_until ("the conversation", conversation_open, &at);
  wait_until ("online", is_online, &app);
  g_assert_cmpuint (n_outbox_files (), ==, 0);

  test_relay_stop (world->relay);
  wait_until ("offline", is_offline, &app);

  /* each waits for the one before: the keys go through the X server, the drop does not */
  x_type_text ("Here it comes:");
  x_key ("Return");
  at = (AppText) { &app, "1" };
  wait_until ("the text in the outbox", outbox_is, &at);
  drop_file (root, test_relay_tmp_dir (world->relay), "Invoice 42.pdf", pdf_bytes, strlen (pdf_bytes));
  at = (AppText) { &app, "2" };
  wait_until ("the file in the outbox", outbox_is, &at);
  x_type_text ("Anything else?");
  x_key ("Return");
  at = (AppText) { &app, "3" };
  wait_until ("the second text in the outbox", outbox_is, &at);
  drop_file (root, test_relay_tmp_dir (world->relay), "draft.txt", "not this one\n", 13);
  at = (AppText) { &app, "4" };
  wait_until ("four in the outbox", outbox_is, &at);
  p = (Pictures) { root, 2 };
  wait_until ("both files waiting", n_waiting, &p);
  g_assert_cmpuint (n_outbox_files (), ==, 2);
  {
    g_autoptr (GPtrArray) names = all_named (root, "file-card-name");

    g_assert_cmpuint (names->len, ==, 2);
    g_assert_cmpstr (gtk_label_get_text (names->pdata[0]), ==, "Invoice 42.pdf");
  }
  settle (300);
  g_free (save_screenshot (root, "conversation-file-waiting"));

  /* the second file: cancelled (the last "Cancel" on screen is its) */
  {
    g_autoptr (GPtrArray) buttons = all_named (root, "message-cancel");

    g_assert_cmpuint (buttons->len, ==, 2);
    cancel = g_ptr_array_index (buttons, 1);
    x_click (cancel, gtk_widget_get_width (cancel) / 2.0, gtk_widget_get_height (cancel) / 2.0);
  }
  at = (AppText) { &app, "3" };
  wait_until ("the cancelled file out of the outbox", outbox_is, &at);
  g_assert_cmpuint (n_outbox_files (), ==, 1);

  test_relay_start_same_port (world->relay);
  wait_until ("online again", is_online, &app);
  at = (AppText) { &app, "0" };
  wait_until ("the outbox sent", outbox_is, &at);
  wait_until ("the file's bytes gone from the cache directory", no_outbox_files, NULL);
  posted = (Posted) { world, conversation_id, 3 };
  wait_until ("three messages on the relay", relay_has_n, &posted);
  settle (500);

  /* exactly the three, in order, the file once */
  g_assert_cmpuint (n_agent_messages (world, conversation_id, &messages, &response), ==, 3);
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);

      if (g_strcmp0 (test_obj_string (m, "sender.type"), "agent") == 0)
        g_ptr_array_add (agent, m);
    }
  g_assert_cmpstr (test_obj_string (agent->pdata[0], "body"), ==, "Here it comes:");
  g_assert_cmpstr (test_obj_string (agent->pdata[1], "attachment.name"), ==, "Invoice 42.pdf");
  g_assert_cmpstr (test_obj_string (agent->pdata[1], "attachment.kind"), ==, "file");
  g_assert_cmpstr (test_obj_string (agent->pdata[2], "body"), ==, "Anything else?");
  /* the card is the relay's now: nothing waits */
  p = (Pictures) { root, 0 };
  wait_until ("no card waiting", n_waiting, &p);
  g_ptr_array_unref (agent);
  app_stop (&app);
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

  test_harness_add ("/desktop/team-files/agent-avatars", test_agent_avatars);
  test_harness_add ("/desktop/team-files/offline-file", test_offline_file);

  return g_test_run ();
}
