/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-kb.c: the knowledge base in the real app (issue 16), in-process under Xvfb with a
 * real keyring, against a real relay, driven by real X input (xdotool): an article written in
 * the Articles page's editor is on the relay, its preview is what the relay rendered, Publish in
 * its row publishes it (and Unpublish makes it a draft again); an article another admin writes
 * arrives through the `articles` frame, is edited (its body read first) and deleted after a
 * confirmation; "View in Help Centre" starts the default browser (a stand-in in the test's XDG
 * dirs) with the public page; a FAQ's synonyms typed in its edit form are saved with it and
 * shown again; the settings area shows the Articles page to an owner.
 *
 * Every Gtk-CRITICAL or warning fails the test. */
#define G_LOG_DOMAIN "test-desktop-kb"

#include <glib/gstdio.h>

#include "confab-admin-window.h"
#include "confab-articles-page.h"
#include "confab-faqs-page.h"
#include "test-desktop-app-util.h"

/* ------------------------------------------------------------ helpers --- */

static GtkWindow *
open_settings (App       *app,
               GtkWidget *page)
{
  GtkWidget *window = adw_preferences_window_new ();

  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (app->window));
  gtk_window_set_default_size (GTK_WINDOW (window), 820, 640);
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (window), FALSE);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_present (GTK_WINDOW (window));
  main_window = window;
  x_focus (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

/* A mapped widget named @name in any visible window. */
static GtkWidget *
find_anywhere (const char *name)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);
      GtkWidget *found;

      if (!gtk_widget_get_visible (window))
        continue;
      found = find_named (window, name);
      if (found != NULL && gtk_widget_get_mapped (found))
        return found;
    }
  return NULL;
}

static gboolean
shown_anywhere (gpointer data)
{
  return find_anywhere (data) != NULL;
}

static gboolean
gone_everywhere (gpointer data)
{
  return find_anywhere (data) == NULL;
}

static GtkWidget *
wait_shown (const char *name)
{
  wait_until (name, shown_anywhere, (gpointer) name);
  settle (100);
  return find_anywhere (name);
}

/* A button labelled @label (a dialog's response) under @root. */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
click_middle (GtkWidget *widget)
{
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

typedef struct {
  GtkWidget  *widget;
  const char *text;
} Typed;

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

static gboolean
has_text (gpointer data)
{
  Typed *t = data;
  g_autofree char *text = text_of (t->widget);

  return strstr (text, t->text) != NULL;
}

/* Clicks @widget and types @text into it. */
static void
type_into (GtkWidget  *widget,
           const char *text)
{
  Typed t = { widget, text };

  click_middle (widget);
  x_type_text (text);
  wait_until ("the typed text", has_text, &t);
}

/* Clicks the response @label of the dialog named @dialog_name. */
static void
respond (const char *dialog_name,
         const char *label)
{
  GtkWidget *dialog = wait_shown (dialog_name);
  GtkWidget *button = find_button (dialog, label);

  g_assert_nonnull (button);
  x_focus (GTK_WINDOW (dialog));
  click_middle (button);
}

/* The row named @row_name's child named @child_name. */
static GtkWidget *
in_row (const char *row_name,
        const char *child_name)
{
  GtkWidget *row = wait_shown (row_name);

  return find_named (row, child_name);
}

static void
start_app (App       *app,
           TestWorld *world)
{
  app_start (app, world->relay, FALSE);
  app_activate (app);
  sign_in (app, world->relay, world->email, world->password);
}

/* ----------------------------------------------------------- articles --- */

/* The "browser" gtk_show_uri launches: a script, the default handler of http URLs in the test's
 * own XDG data dir, that writes the URL it was given into @out_file. */
static void
install_browser (const char *out_file)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *script = g_build_filename (dir, "confab-test-browser", NULL);
  g_autofree char *desktop = g_build_filename (dir, "confab-test-browser.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (dir, "mimeapps.list", NULL);
  g_autofree char *script_text = g_strdup_printf ("#!/bin/sh\nprintf '%%s' \"$1\" > '%s.part' && "
                                                  "mv '%s.part' '%s'\n", out_file, out_file, out_file);
  g_autofree char *desktop_text = g_strdup_printf ("[Desktop Entry]\nType=Application\n"
                                                   "Name=Test Browser\nExec=%s %%u\n"
                                                   "MimeType=x-scheme-handler/http;x-scheme-handler/https;\n",
                                                   script);
  const char *mimeapps_text = "[Default Applications]\n"
                              "x-scheme-handler/http=confab-test-browser.desktop\n"
                              "x-scheme-handler/https=confab-test-browser.desktop\n";

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (script, script_text, -1, NULL));
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);
  g_assert_true (g_file_set_contents (desktop, desktop_text, -1, NULL));
  g_assert_true (g_file_set_contents (mimeapps, mimeapps_text, -1, NULL));
}

typedef struct {
  TestRelay  *relay;
  const char *token;
  const char *id;
  const char *body;
} BodyIs;

static gboolean
relay_body_is (gpointer data)
{
  BodyIs *b = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/articles/%s", b->id);
  g_autoptr (TestResponse) response = test_http (b->relay, "GET", path, b->token, NULL, NULL);

  return response->status == 200 &&
         g_strcmp0 (test_obj_string (test_response_object (response), "body"), b->body) == 0;
}

static gboolean
is_sensitive (gpointer data)
{
  return gtk_widget_get_sensitive (data);
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

typedef struct {
  TestRelay  *relay;
  const char *token;
  const char *site_id;
  const char *title;
  int         published;  /* -1: the article must be gone */
  char       *id;         /* out */
} Article;

static gboolean
relay_has_article (gpointer data)
{
  Article *a = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/articles", a->site_id);
  g_autoptr (TestResponse) response = test_http (a->relay, "GET", path, a->token, NULL, NULL);
  JsonArray *list = test_obj_array (test_response_object (response), "articles");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *article = json_array_get_object_element (list, i);

      if (g_strcmp0 (test_obj_string (article, "title"), a->title) != 0)
        continue;
      g_free (a->id);
      a->id = g_strdup (test_obj_string (article, "id"));
      return a->published >= 0 &&
             json_object_get_boolean_member_with_default (article, "published", FALSE) == a->published;
    }
  return a->published < 0;
}

/* Written in the editor (title, category, Markdown), saved as a draft with the relay's
 * rendering as the preview; listed as a draft; published from its row; one written elsewhere
 * arrives live and is deleted after the confirmation. */
static void
test_articles (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  Article a = { world->relay, world->token, world->site_id, "Returns and exchanges", 0, NULL };
  Article other = { world->relay, world->token, world->site_id, "Shipping abroad", 0, NULL };
  App app = { 0 };
  GtkWindow *prefs;
  GtkWidget *editor;
  GtkWidget *preview;
  GtkWidget *body;
  GtkWidget *state;
  Typed t;

  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
    g_autoptr (TestResponse) probe = test_http (world->relay, "GET", path, world->token, NULL, NULL);

    test_assert_http_status (probe, 200);
  }
  start_app (&app, world);
  {
    GtkWidget *page = confab_articles_page_new (client_of (&app));

    g_object_set (page, "site-id", world->site_id, NULL);
    prefs = open_settings (&app, page);
  }

  /* write one */
  click_middle (wait_shown ("articles-add-button"));
  editor = wait_shown ("article-editor");
  x_focus (GTK_WINDOW (editor));
  type_into (find_named (editor, "article-title-entry"), "Returns and exchanges");
  type_into (find_named (editor, "article-category-entry"), "Orders");
  body = find_named (editor, "article-body-view");
  g_assert_true (gtk_text_view_get_monospace (GTK_TEXT_VIEW (body)));
  {
    const char *lines[] = { "## Returning an order", "", "Send it *back* within **30 days**, in its box.",
                            "", "- Free within the EU", "- Keep the `receipt` until the refund arrives",
                            "", "> Opened cosmetics cannot be returned.", "",
                            "Use the [returns form](https://shop.example/returns), not <b>mail</b>." };

    click_middle (body);
    for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
      {
        /* a line at a time, each waited for: Return is a key of its own */
        if (i > 0)
          x_key ("Return");
        if (*lines[i] != '\0')
          {
            t = (Typed) { body, lines[i] };
            x_type_text (lines[i]);
            wait_until ("the typed line", has_text, &t);
          }
      }
  }
  click_middle (find_named (editor, "article-save"));
  wait_until ("the draft on the relay", relay_has_article, &a);
  g_assert_nonnull (a.id);

  /* the preview is the relay's HTML, drawn as markup */
  preview = find_named (editor, "article-preview");
  t = (Typed) { preview, "Send it back within 30 days, in its box." };
  wait_until ("the rendered preview", has_text, &t);
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (preview)), "• Free within the EU\n"));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (preview)), "<tt>receipt</tt>"));
  g_assert_null (strstr (gtk_label_get_text (GTK_LABEL (preview)), "**"));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (preview)),
                            "<a href=\"https://shop.example/returns\">returns form</a>"));
  /* HTML in the Markdown is text, in the preview as on the help centre */
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (preview)), "not <b>mail</b>."));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (preview)), "<i>back</i>"));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (preview)), "<b>30 days</b>"));
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (gtk_widget_get_ancestor (preview, ADW_TYPE_VIEW_STACK)),
                                         "preview");
  settle (300);
  g_free (save_screenshot (editor, "article-editor-preview"));
  click_middle (find_named (editor, "article-close"));
  wait_until ("the editor closed", gone_everywhere, "article-editor");

  /* listed as a draft, then published from its row */
  x_focus (prefs);
  state = in_row ("article-returns-and-exchanges", "article-state");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (state)), ==, "Draft");
  g_assert_null (find_named (wait_shown ("article-returns-and-exchanges"), "article-view"));
  click_middle (in_row ("article-returns-and-exchanges", "article-publish"));
  a.published = 1;
  wait_until ("published on the relay", relay_has_article, &a);
  wait_until ("the help centre link", shown_anywhere, "article-view");
  state = in_row ("article-returns-and-exchanges", "article-state");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (state)), ==, "Published");

  /* "View in Help Centre" opens the public page, which shows it */
  {
    g_autofree char *opened_file = g_build_filename (test_relay_tmp_dir (world->relay), "opened-url", NULL);
    g_autofree char *opened = NULL;
    g_autofree char *help_path = g_strdup_printf ("/help/%s/returns-and-exchanges", world->site_key);
    g_autofree char *expected = g_strconcat (test_relay_base_url (world->relay), help_path, NULL);
    g_autoptr (TestResponse) page = NULL;
    g_autofree char *html = NULL;

    install_browser (opened_file);
    click_middle (in_row ("article-returns-and-exchanges", "article-view"));
    wait_until ("the browser started with the page", file_exists, opened_file);
    g_assert_true (g_file_get_contents (opened_file, &opened, NULL, NULL));
    g_assert_cmpstr (opened, ==, expected);
    page = test_http (world->relay, "GET", help_path, NULL, NULL, NULL);
    test_assert_http_status (page, 200);
    html = g_strndup (g_bytes_get_data (page->body, NULL), g_bytes_get_size (page->body));
    g_assert_nonnull (strstr (html, "Returns and exchanges"));
    g_assert_nonnull (strstr (html, "<em>back</em>"));
  }

  /* unpublished from its row: a draft again, the link gone */
  click_middle (in_row ("article-returns-and-exchanges", "article-unpublish"));
  a.published = 0;
  wait_until ("a draft again on the relay", relay_has_article, &a);
  wait_until ("the help centre link gone", gone_everywhere, "article-view");

  /* one written by someone else arrives through the articles frame */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
    g_autoptr (TestResponse) response =
      test_http (world->relay, "POST", path, world->token,
                 "{\"title\":\"Shipping abroad\",\"category\":\"Delivery\",\"language\":\"de\","
                 "\"body\":\"To the EU and the UK.\"}", NULL);

    test_assert_http_status (response, 201);
  }
  g_assert_true (relay_has_article (&other));
  wait_shown ("article-shipping-abroad");
  settle (300);
  g_free (save_screenshot (GTK_WIDGET (prefs), "settings-articles"));

  /* edited: the editor reads its body first, the change reaches the relay */
  click_middle (in_row ("article-shipping-abroad", "article-edit"));
  editor = wait_shown ("article-editor");
  x_focus (GTK_WINDOW (editor));
  body = find_named (editor, "article-body-view");
  wait_until ("the body loaded", is_sensitive, body);
  t = (Typed) { body, "To the EU and the UK." };
  g_assert_true (has_text (&t));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (editor, "article-language-entry"))),
                   ==, "de");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (editor, "article-category-entry"))),
                   ==, "Delivery");
  click_middle (body);
  x_key ("ctrl+End");
  x_type_text (" Not to Mars.");
  t = (Typed) { body, "UK. Not to Mars." };
  wait_until ("the typed text", has_text, &t);
  /* not saved yet: Close asks first, and Cancel keeps the editor */
  click_middle (find_named (editor, "article-close"));
  respond ("confirm-dialog", "_Cancel");
  wait_until ("the question gone", gone_everywhere, "confirm-dialog");
  g_assert_nonnull (find_anywhere ("article-editor"));
  x_focus (GTK_WINDOW (editor));
  x_key ("ctrl+s");
  {
    BodyIs b = { world->relay, world->token, other.id, "To the EU and the UK. Not to Mars." };

    wait_until ("the new body on the relay", relay_body_is, &b);
  }
  click_middle (find_named (editor, "article-close"));
  wait_until ("the editor closed", gone_everywhere, "article-editor");
  x_focus (prefs);

  /* deleted after the confirmation */
  click_middle (in_row ("article-shipping-abroad", "article-delete"));
  respond ("confirm-dialog", "_Delete");
  other.published = -1;
  wait_until ("the article gone from the relay", relay_has_article, &other);
  wait_until ("its row gone", gone_everywhere, "article-shipping-abroad");
  g_assert_nonnull (find_anywhere ("article-returns-and-exchanges"));

  g_free (a.id);
  g_free (other.id);
  gtk_window_destroy (prefs);
  app_stop (&app);
}

/* --------------------------------------------------------------- faqs --- */

typedef struct {
  TestRelay  *relay;
  const char *token;
  const char *site_id;
  const char *id;
} Faq;

static gboolean
relay_has_synonyms (gpointer data)
{
  Faq *f = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/faqs", f->site_id);
  g_autoptr (TestResponse) response = test_http (f->relay, "GET", path, f->token, NULL, NULL);
  JsonArray *faqs = test_obj_array (test_response_object (response), "faqs");

  for (guint i = 0; i < json_array_get_length (faqs); i++)
    {
      JsonObject *faq = json_array_get_object_element (faqs, i);
      JsonArray *synonyms;

      if (g_strcmp0 (test_obj_string (faq, "id"), f->id) != 0)
        continue;
      synonyms = test_obj_array (faq, "synonyms");
      if (synonyms == NULL || json_array_get_length (synonyms) != 2)
        return FALSE;
      g_assert_cmpstr (json_array_get_string_element (synonyms, 0), ==, "overseas");
      g_assert_cmpstr (json_array_get_string_element (synonyms, 1), ==, "ship to");
      /* the rest of the FAQ is kept */
      g_assert_cmpstr (test_obj_string (faq, "answer"), ==, "Yes, to the EU and the UK.");
      g_assert_cmpuint (json_array_get_length (test_obj_array (faq, "keywords")), ==, 1);
      return TRUE;
    }
  return FALSE;
}

/* Synonyms typed in a FAQ's edit form (comma-separated) are saved with it and shown again when
 * it is edited next. */
static void
test_faq_synonyms (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *id = NULL;
  g_autofree char *row_name = NULL;
  App app = { 0 };
  GtkWindow *prefs;
  GtkWidget *page;
  GtkWidget *dialog;
  Faq f;

  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/faqs", world->site_id);
    g_autoptr (TestResponse) response =
      test_http (world->relay, "POST", path, world->token,
                 "{\"question\":\"Do you ship abroad?\",\"answer\":\"Yes, to the EU and the UK.\","
                 "\"keywords\":[\"shipping\"]}", NULL);

    test_assert_http_status (response, 201);
    id = g_strdup (test_obj_string (test_response_object (response), "id"));
  }
  f = (Faq) { world->relay, world->token, world->site_id, id };
  row_name = g_strdup_printf ("faq-%s", id);
  start_app (&app, world);
  page = confab_faqs_page_new (client_of (&app));
  g_object_set (page, "site-id", world->site_id, NULL);
  prefs = open_settings (&app, page);

  click_middle (in_row (row_name, "faq-edit"));
  dialog = wait_shown ("edit-dialog");
  g_assert_nonnull (find_named (dialog, "faq-synonyms-entry"));
  type_into (find_named (dialog, "faq-synonyms-entry"), "overseas, ship to ,");
  respond ("edit-dialog", "_Save");
  wait_until ("the synonyms on the relay", relay_has_synonyms, &f);
  wait_until ("the dialog closed", gone_everywhere, "edit-dialog");

  /* shown again in the form, once the list has them */
  settle (300);
  x_focus (prefs);
  click_middle (in_row (row_name, "faq-edit"));
  dialog = wait_shown ("edit-dialog");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (dialog, "faq-synonyms-entry"))),
                   ==, "overseas, ship to");
  respond ("edit-dialog", "_Cancel");
  wait_until ("the dialog closed", gone_everywhere, "edit-dialog");

  gtk_window_destroy (prefs);
  app_stop (&app);
}

/* ------------------------------------------------------------ markup --- */

/* The preview's conversion of the relay's HTML: numbered lists count, code blocks keep their
 * lines, tags that are not the renderer's are left out, and what is not well-formed is refused
 * (the editor shows the plain text then). */
static void
test_preview_markup (void)
{
  g_autofree char *ol = confab_articles_html_to_markup ("<ol>\n<li>One</li>\n<li>Two</li>\n</ol>\n");
  g_autofree char *pre = confab_articles_html_to_markup ("<pre><code>a = 1\nb = 2\n</code></pre>\n");
  g_autofree char *other = confab_articles_html_to_markup ("<p>x <img src=\"y\"> z &amp; &#39;q&#39;</p>\n");
  g_autofree char *soft = confab_articles_html_to_markup ("<p>one\ntwo</p>\n");

  g_assert_cmpstr (ol, ==, "1. One\n2. Two");
  g_assert_nonnull (strstr (pre, "<tt>a = 1\nb = 2\n</tt>"));
  g_assert_cmpstr (other, ==, "x  z &amp; &#39;q&#39;");
  g_assert_cmpstr (soft, ==, "one two");
  g_assert_null (confab_articles_html_to_markup ("<em>never closed"));
  g_assert_null (confab_articles_html_to_markup ("<p>a & b</p>"));
}

/* ------------------------------------------------------ settings area --- */

static ConfabAdminWindow *
admin_window (App *app)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app->app)); l != NULL; l = l->next)
    if (CONFAB_IS_ADMIN_WINDOW (l->data))
      return l->data;
  return NULL;
}

static gboolean
admin_shown (gpointer data)
{
  ConfabAdminWindow *window = admin_window (data);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

/* The settings area has the Articles page for an owner, told the picked site. */
static void
test_settings_area (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  App app = { 0 };
  ConfabAdminWindow *window;

  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/articles", world->site_id);
    g_autoptr (TestResponse) response =
      test_http (world->relay, "POST", path, world->token,
                 "{\"title\":\"Opening hours\",\"body\":\"9 to 5.\",\"published\":true}", NULL);

    test_assert_http_status (response, 201);
  }
  start_app (&app, world);
  x_focus (GTK_WINDOW (app.window));
  x_key ("ctrl+alt+comma");
  wait_until ("the settings area", admin_shown, &app);
  window = admin_window (&app);
  main_window = GTK_WIDGET (window);
  confab_admin_window_show_page (window, "ConfabArticlesPage");
  wait_shown ("article-opening-hours");
  g_assert_nonnull (find_named (find_anywhere ("article-opening-hours"), "article-view"));

  gtk_window_destroy (GTK_WINDOW (window));
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
  test_harness_add ("/desktop/kb/articles", test_articles);
  test_harness_add ("/desktop/kb/faq-synonyms", test_faq_synonyms);
  test_harness_add ("/desktop/kb/settings-area", test_settings_area);
  test_harness_add ("/desktop/kb/preview-markup", test_preview_markup);
  return g_test_run ();
}
