/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-articles-page.c: the knowledge base of one site (see the header).
 *
 * The list is the relay's (GET /sites/{id}/articles, then its `articles` frames); it holds no
 * bodies, so the editor reads the article (GET /articles/{id}) before it can be edited. The
 * editor saves without closing: the preview is the HTML the relay answered with (the relay is
 * the only Markdown renderer, so what is previewed is what the help centre shows), drawn as
 * Pango markup in a label, never in a web view. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-admin-list.h"
#include "confab-admin-util.h"
#include "confab-articles-page.h"
#include "confab-client-admin.h"
#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-client-team.h"

struct _ConfabArticlesPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *articles_group;
  GtkWidget           *add_button;

  ConfabClient        *client;
  char                *site_id;
  char                *site_key;      /* for the help centre's address */
  gboolean             may_write;
  GCancellable        *cancellable;
  ConfabAdminList      list;
};

G_DEFINE_FINAL_TYPE (ConfabArticlesPage, confab_articles_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void load (ConfabArticlesPage *self);

/* ------------------------------------------------------------ preview --- */

/* Only the tags confab-markdown.c writes are known; the text between them is escaped by the
 * relay (&amp; &lt; &gt; &quot; &#39;), which Pango's markup reads as they are. */
char *
confab_articles_html_to_markup (const char *html)
{
  g_autoptr (GString) out = g_string_new (NULL);
  GArray *lists = g_array_new (FALSE, FALSE, sizeof (int)); /* per open list: 0 bullets, n numbered */
  int pre = 0;
  const char *p;

  g_return_val_if_fail (html != NULL, NULL);

  for (p = html; *p != '\0';)
    {
      const char *end;
      g_autofree char *tag = NULL;
      gboolean closing;
      const char *name;

      if (*p != '<')
        {
          /* soft line breaks of a paragraph are spaces; a code block keeps its lines */
          if (*p == '\n' && pre == 0)
            {
              if (out->len > 0 && out->str[out->len - 1] != '\n' && out->str[out->len - 1] != ' ')
                g_string_append_c (out, ' ');
            }
          else
            g_string_append_c (out, *p);
          p++;
          continue;
        }
      end = strchr (p, '>');
      if (end == NULL)
        break;
      tag = g_strndup (p + 1, end - p - 1);
      p = end + 1;
      closing = tag[0] == '/';
      name = closing ? tag + 1 : tag;

      if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && name[2] == '\0')
        g_string_append (out, closing ? "</span>\n\n"
                                      : name[1] <= '2' ? "<span weight=\"bold\" size=\"x-large\">"
                                                       : "<span weight=\"bold\" size=\"large\">");
      else if (strcmp (name, "p") == 0)
        g_string_append (out, closing ? "\n\n" : "");
      else if (strcmp (name, "em") == 0)
        g_string_append (out, closing ? "</i>" : "<i>");
      else if (strcmp (name, "strong") == 0)
        g_string_append (out, closing ? "</b>" : "<b>");
      else if (strcmp (name, "code") == 0)
        g_string_append (out, closing ? "</tt>" : "<tt>");
      else if (strcmp (name, "pre") == 0)
        {
          pre += closing ? -1 : 1;
          g_string_append (out, closing ? "</span>\n" : "<span background=\"#80808026\">");
        }
      else if (strcmp (name, "blockquote") == 0 && !closing)
        g_string_append (out, "<i>");
      else if (strcmp (name, "blockquote") == 0)
        {
          /* its paragraph's blank line after the </i>, where the next block starts */
          while (out->len > 0 && out->str[out->len - 1] == '\n')
            g_string_truncate (out, out->len - 1);
          g_string_append (out, "</i>\n\n");
        }
      else if (strcmp (name, "ul") == 0 || strcmp (name, "ol") == 0)
        {
          if (!closing)
            {
              int kind = name[0] == 'o' ? 1 : 0;

              g_array_append_val (lists, kind);
            }
          else
            {
              if (lists->len > 0)
                g_array_set_size (lists, lists->len - 1);
              g_string_append (out, "\n");
            }
        }
      else if (strcmp (name, "li") == 0)
        {
          if (closing)
            g_string_append (out, "\n");
          else if (lists->len > 0 && g_array_index (lists, int, lists->len - 1) > 0)
            g_string_append_printf (out, "%d. ", g_array_index (lists, int, lists->len - 1)++);
          else
            g_string_append (out, "• ");
        }
      else if (strcmp (name, "hr") == 0)
        g_string_append (out, "――――――――\n\n");
      else if (strcmp (name, "a") == 0 && closing)
        g_string_append (out, "</a>");
      else if (g_str_has_prefix (name, "a href=\""))
        {
          const char *href = name + strlen ("a href=\"");
          const char *quote = strchr (href, '"');

          /* the relay's escaping holds inside the attribute too */
          g_string_append_printf (out, "<a href=\"%.*s\">",
                                  (int) (quote != NULL ? quote - href : 0), href);
        }
      /* anything else is not the relay's: left out */
    }
  g_array_unref (lists);
  while (out->len > 0 && g_ascii_isspace (out->str[out->len - 1]))
    g_string_truncate (out, out->len - 1);
  /* well-formed, or the plain text instead (GtkLabel's markup is Pango's plus <a href>, which
   * pango_parse_markup alone refuses: the tags are ours, only their nesting needs checking) */
  {
    static const GMarkupParser no_op = { 0 };
    g_autoptr (GMarkupParseContext) context = NULL;
    g_autofree char *wrapped = g_strconcat ("<markup>", out->str, "</markup>", NULL);

    context = g_markup_parse_context_new (&no_op, 0, NULL, NULL);
    if (!g_markup_parse_context_parse (context, wrapped, -1, NULL) ||
        !g_markup_parse_context_end_parse (context, NULL))
      return NULL;
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ------------------------------------------------------------- editor --- */

/* A string member, or @fallback. */
static const char *
string_or (JsonObject *object,
                      const char *member,
                      const char *fallback)
{
  const char *value = confab_admin_string (object, member);

  return value != NULL ? value : fallback;
}

typedef struct {
  ConfabArticlesPage *self;
  char               *id;           /* NULL until the relay made it */
  GCancellable       *cancellable;  /* cancelled when the window goes */
  GtkWidget          *window;
  AdwToastOverlay    *toasts;
  GtkWidget          *error_label;
  GtkWidget          *title_entry;
  GtkWidget          *category_entry;
  GtkWidget          *language_entry;
  GtkWidget          *published_check;
  GtkWidget          *body_view;
  GtkWidget          *preview_label;
  GtkWidget          *save_button;
  gboolean            busy;
  guint               edits;        /* changes typed, counted */
  guint               saved_edits;  /* ... as of the last save (or load): fewer is unsaved */
} Editor;

static void
editor_free (gpointer data)
{
  Editor *editor = data;

  g_object_unref (editor->self);
  g_free (editor->id);
  g_object_unref (editor->cancellable);
  g_free (editor);
}

static char *
editor_body (Editor *editor)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (editor->body_view));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
editor_update (Editor *editor)
{
  const char *title = gtk_editable_get_text (GTK_EDITABLE (editor->title_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (title));

  gtk_widget_set_sensitive (editor->save_button, !editor->busy && *stripped != '\0');
}

static void
editor_error (Editor     *editor,
              const char *text)
{
  gtk_label_set_text (GTK_LABEL (editor->error_label), text != NULL ? text : "");
  gtk_widget_set_visible (editor->error_label, text != NULL);
}

static void
editor_show_preview (Editor     *editor,
                     const char *html,
                     const char *body)
{
  g_autofree char *markup = html != NULL ? confab_articles_html_to_markup (html) : NULL;

  if (markup != NULL && *markup != '\0')
    gtk_label_set_markup (GTK_LABEL (editor->preview_label), markup);
  else if (body != NULL && *body != '\0')
    gtk_label_set_text (GTK_LABEL (editor->preview_label), body);
  else
    gtk_label_set_text (GTK_LABEL (editor->preview_label), _("Nothing written yet."));
}

/* The form from the relay's article (with its body and html). */
static void
editor_fill (Editor     *editor,
             JsonObject *article)
{
  const char *body = confab_admin_string (article, "body");
  const char *language = confab_admin_string (article, "language");

  gtk_editable_set_text (GTK_EDITABLE (editor->title_entry),
                         string_or (article, "title", ""));
  gtk_editable_set_text (GTK_EDITABLE (editor->category_entry),
                         string_or (article, "category", ""));
  gtk_editable_set_text (GTK_EDITABLE (editor->language_entry), language != NULL ? language : "en");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (editor->published_check),
                               json_object_get_boolean_member_with_default (article, "published",
                                                                            FALSE));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (editor->body_view)),
                            body != NULL ? body : "", -1);
  editor_show_preview (editor, confab_admin_string (article, "html"), body);
  editor->saved_edits = editor->edits;
}

static void
editor_loaded_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GtkWidget) window = user_data;
  Editor *editor = g_object_get_data (G_OBJECT (window), "confab-article-editor");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) article = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);

  if (g_cancellable_is_cancelled (editor->cancellable))
    return;
  editor->busy = FALSE;
  if (article == NULL)
    editor_error (editor, error->message);
  else
    editor_fill (editor, article);
  gtk_widget_set_sensitive (editor->body_view, article != NULL);
  editor_update (editor);
}

static void
editor_saved_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GtkWidget) window = user_data;
  Editor *editor = g_object_get_data (G_OBJECT (window), "confab-article-editor");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) article = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (g_cancellable_is_cancelled (editor->cancellable))
    return;
  editor->busy = FALSE;
  editor_update (editor);
  if (article != NULL)
    editor->saved_edits = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (window),
                                                               "confab-saving-edits"));
  if (article == NULL)
    {
      /* what was typed stays, with the relay's reason (a slug taken, a bad language...) */
      editor_error (editor, error->message);
      return;
    }
  editor_error (editor, NULL);
  if (editor->id == NULL)
    {
      editor->id = g_strdup (confab_admin_string (article, "id"));
      gtk_window_set_title (GTK_WINDOW (editor->window), _("Edit Article"));
    }
  editor_show_preview (editor, confab_admin_string (article, "html"),
                       confab_admin_string (article, "body"));
  adw_toast_overlay_add_toast (editor->toasts, adw_toast_new (_("Saved")));
  load (editor->self);
}

static void
editor_save (Editor *editor)
{
  ConfabArticlesPage *self = editor->self;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *text = editor_body (editor);
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (editor->title_entry))));
  g_autofree char *category = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (editor->category_entry))));
  g_autofree char *language = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (editor->language_entry))));
  g_autofree char *path = NULL;

  if (editor->busy || *title == '\0')
    return;
  json_object_set_string_member (body, "title", title);
  json_object_set_string_member (body, "category", category);
  json_object_set_string_member (body, "language", *language != '\0' ? language : "en");
  json_object_set_string_member (body, "body", text);
  json_object_set_boolean_member (body, "published",
                                  gtk_check_button_get_active (GTK_CHECK_BUTTON (editor->published_check)));
  path = editor->id != NULL ? confab_admin_path ("articles", editor->id, NULL)
                            : confab_admin_path ("sites", self->site_id, "articles");
  editor->busy = TRUE;
  editor_update (editor);
  /* what is saved is what was typed by now: later keys stay unsaved */
  g_object_set_data (G_OBJECT (editor->window), "confab-saving-edits",
                     GUINT_TO_POINTER (editor->edits));
  confab_client_request_async (self->client, editor->id != NULL ? "PATCH" : "POST", path, body,
                               editor->cancellable, editor_saved_cb, g_object_ref (editor->window));
}

static void
on_editor_destroy (GtkWidget *window,
                   Editor    *editor)
{
  g_cancellable_cancel (editor->cancellable);
}

static void
on_edited (Editor *editor)
{
  editor->edits++;
}

static void
discard (gpointer data)
{
  GtkWidget *window = data;
  Editor *editor = g_object_get_data (G_OBJECT (window), "confab-article-editor");

  editor->saved_edits = editor->edits;
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Closing with unsaved changes asks first: what was typed is not thrown away by a stray click. */
static gboolean
on_close_request (GtkWindow *window,
                  Editor    *editor)
{
  if (editor->edits == editor->saved_edits)
    return FALSE;
  confab_admin_confirm (GTK_WIDGET (window), _("Discard the Changes?"),
                        _("What was typed since the article was last saved is lost."),
                        _("_Discard"), discard, g_object_ref (window), g_object_unref);
  return TRUE;
}

static gboolean
save_shortcut (GtkWidget *widget,
               GVariant  *args,
               gpointer   user_data)
{
  Editor *editor = g_object_get_data (G_OBJECT (widget), "confab-article-editor");

  editor_save (editor);
  return TRUE;
}

static void
on_close_clicked (Editor *editor)
{
  if (!on_close_request (GTK_WINDOW (editor->window), editor))
    gtk_window_destroy (GTK_WINDOW (editor->window));
}

static GtkWidget *
form_entry (GtkWidget  *box,
            const char *label_text,
            const char *name,
            const char *placeholder)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (label_text);
  GtkWidget *entry = gtk_entry_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_name (entry, name);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), entry);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), entry);
  return entry;
}

static void
open_editor (ConfabArticlesPage *self,
             const char         *id)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  Editor *editor = g_new0 (Editor, 1);
  GtkWidget *window = adw_window_new ();
  GtkWidget *toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Close"));
  GtkWidget *stack = adw_view_stack_new ();
  GtkWidget *switcher = adw_view_switcher_title_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *fields = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *column;
  GtkWidget *scrolled;
  GtkWidget *preview_scrolled;
  GtkWidget *label;
  AdwViewStackPage *page;

  editor->self = g_object_ref (self);
  editor->id = g_strdup (id);
  editor->cancellable = g_cancellable_new ();
  editor->window = window;
  gtk_widget_set_name (window, "article-editor");
  gtk_window_set_title (GTK_WINDOW (window), id != NULL ? _("Edit Article") : _("New Article"));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (window), TRUE);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_window_set_default_size (GTK_WINDOW (window), 720, 640);

  /* the header: Close, Write / Preview, Save */
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  gtk_widget_set_name (cancel, "article-close");
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (on_close_clicked), editor);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  editor->save_button = gtk_button_new_with_mnemonic (_("_Save"));
  gtk_widget_set_name (editor->save_button, "article-save");
  gtk_widget_set_tooltip_text (editor->save_button, _("Save (Ctrl+S)"));
  gtk_widget_add_css_class (editor->save_button, "suggested-action");
  g_signal_connect_swapped (editor->save_button, "clicked", G_CALLBACK (editor_save), editor);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), editor->save_button);
  adw_view_switcher_title_set_stack (ADW_VIEW_SWITCHER_TITLE (switcher), ADW_VIEW_STACK (stack));
  g_object_bind_property (window, "title", switcher, "title", G_BINDING_SYNC_CREATE);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), switcher);
  gtk_box_append (GTK_BOX (toolbar), header);

  /* Write: the fields and the Markdown */
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  editor->error_label = gtk_label_new (NULL);
  gtk_widget_set_name (editor->error_label, "article-error");
  gtk_label_set_wrap (GTK_LABEL (editor->error_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (editor->error_label), 0);
  gtk_widget_add_css_class (editor->error_label, "error");
  gtk_widget_set_visible (editor->error_label, FALSE);
  gtk_box_append (GTK_BOX (box), editor->error_label);
  editor->title_entry = form_entry (box, _("_Title"), "article-title-entry",
                                    _("How to return an order"));
  g_signal_connect_swapped (editor->title_entry, "changed", G_CALLBACK (editor_update), editor);
  gtk_entry_set_activates_default (GTK_ENTRY (editor->title_entry), TRUE);
  column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_hexpand (column, TRUE);
  editor->category_entry = form_entry (column, _("_Category"), "article-category-entry",
                                       _("Orders"));
  gtk_box_append (GTK_BOX (fields), column);
  column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  /* Translators: a language tag such as en, de or pt-BR */
  editor->language_entry = form_entry (column, _("_Language"), "article-language-entry", "en");
  gtk_editable_set_text (GTK_EDITABLE (editor->language_entry), "en");
  gtk_editable_set_width_chars (GTK_EDITABLE (editor->language_entry), 8);
  gtk_box_append (GTK_BOX (fields), column);
  gtk_widget_set_margin_top (fields, 6);
  gtk_box_append (GTK_BOX (box), fields);
  editor->published_check = gtk_check_button_new_with_mnemonic (_("_Published on the help centre"));
  gtk_widget_set_name (editor->published_check, "article-published-check");
  gtk_widget_set_margin_top (editor->published_check, 6);
  gtk_box_append (GTK_BOX (box), editor->published_check);
  label = gtk_label_new_with_mnemonic (_("_Body, in Markdown"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_margin_top (label, 6);
  gtk_box_append (GTK_BOX (box), label);
  editor->body_view = gtk_text_view_new ();
  gtk_widget_set_name (editor->body_view, "article-body-view");
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (editor->body_view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (editor->body_view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (editor->body_view), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (editor->body_view), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (editor->body_view), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (editor->body_view), 6);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), editor->body_view);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), editor->body_view);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_widget_add_css_class (scrolled, "card");
  gtk_box_append (GTK_BOX (box), scrolled);
  page = adw_view_stack_add_titled (ADW_VIEW_STACK (stack), box, "write", _("Write"));
  adw_view_stack_page_set_icon_name (page, "document-edit-symbolic");

  /* Preview: what the relay rendered when it was last saved */
  editor->preview_label = gtk_label_new (NULL);
  gtk_widget_set_name (editor->preview_label, "article-preview");
  gtk_label_set_wrap (GTK_LABEL (editor->preview_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (editor->preview_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (editor->preview_label), 0);
  gtk_label_set_yalign (GTK_LABEL (editor->preview_label), 0);
  gtk_label_set_selectable (GTK_LABEL (editor->preview_label), TRUE);
  gtk_widget_set_margin_start (editor->preview_label, 18);
  gtk_widget_set_margin_end (editor->preview_label, 18);
  gtk_widget_set_margin_top (editor->preview_label, 12);
  gtk_widget_set_margin_bottom (editor->preview_label, 18);
  column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  label = gtk_label_new (_("As the help centre shows it, once saved."));
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "caption");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_margin_start (label, 18);
  gtk_widget_set_margin_top (label, 12);
  gtk_box_append (GTK_BOX (column), label);
  gtk_box_append (GTK_BOX (column), editor->preview_label);
  preview_scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (preview_scrolled), column);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (preview_scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  page = adw_view_stack_add_titled (ADW_VIEW_STACK (stack), preview_scrolled, "preview",
                                    _("Preview"));
  adw_view_stack_page_set_icon_name (page, "view-reveal-symbolic");
  editor_show_preview (editor, NULL, NULL);

  editor->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  gtk_widget_set_vexpand (stack, TRUE);
  adw_toast_overlay_set_child (editor->toasts, stack);
  gtk_box_append (GTK_BOX (toolbar), GTK_WIDGET (editor->toasts));
  adw_window_set_content (ADW_WINDOW (window), toolbar);

  g_object_set_data_full (G_OBJECT (window), "confab-article-editor", editor, editor_free);
  g_signal_connect (window, "destroy", G_CALLBACK (on_editor_destroy), editor);
  g_signal_connect (window, "close-request", G_CALLBACK (on_close_request), editor);
  /* Ctrl+S saves, as in any editor; the text view does not take it */
  {
    GtkEventController *shortcuts = gtk_shortcut_controller_new ();

    gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_MANAGED);
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                          gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("<Control>s"),
                                                            gtk_callback_action_new (save_shortcut, NULL, NULL)));
    gtk_widget_add_controller (window, shortcuts);
  }
  g_signal_connect_swapped (editor->title_entry, "changed", G_CALLBACK (on_edited), editor);
  g_signal_connect_swapped (editor->category_entry, "changed", G_CALLBACK (on_edited), editor);
  g_signal_connect_swapped (editor->language_entry, "changed", G_CALLBACK (on_edited), editor);
  g_signal_connect_swapped (editor->published_check, "toggled", G_CALLBACK (on_edited), editor);
  g_signal_connect_swapped (gtk_text_view_get_buffer (GTK_TEXT_VIEW (editor->body_view)),
                            "changed", G_CALLBACK (on_edited), editor);
  if (id != NULL)
    {
      g_autofree char *path = confab_admin_path ("articles", id, NULL);

      /* the list has no bodies: the article's own, before it can be edited */
      editor->busy = TRUE;
      gtk_widget_set_sensitive (editor->body_view, FALSE);
      confab_client_get_json_async (self->client, path, editor->cancellable, editor_loaded_cb,
                                    g_object_ref (window));
    }
  editor_update (editor);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_grab_focus (editor->title_entry);
}

/* -------------------------------------------------------------- write --- */

typedef struct {
  ConfabArticlesPage *self;
  char               *id;
} Change;

static void
change_free (gpointer data)
{
  Change *change = data;

  g_object_unref (change->self);
  g_free (change->id);
  g_free (change);
}

static Change *
change_new (ConfabArticlesPage *self,
            const char         *id)
{
  Change *change = g_new0 (Change, 1);

  change->self = g_object_ref (self);
  change->id = g_strdup (id);
  return change;
}

static void
changed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Change *change = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (error != NULL)
        confab_admin_toast (GTK_WIDGET (change->self), error->message);
      load (change->self);
    }
  change_free (change);
}

static void
add_action (GtkWidget  *widget,
            const char *name,
            GVariant   *parameter)
{
  open_editor (CONFAB_ARTICLES_PAGE (widget), NULL);
}

static void
edit_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  open_editor (CONFAB_ARTICLES_PAGE (widget), g_variant_get_string (parameter, NULL));
}

static void
publish_action (GtkWidget  *widget,
                const char *name,
                GVariant   *parameter)
{
  ConfabArticlesPage *self = CONFAB_ARTICLES_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  JsonObject *article = confab_admin_list_find (&self->list, id);
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = confab_admin_path ("articles", id, NULL);

  if (article == NULL)
    return;
  json_object_set_boolean_member (body, "published",
                                  !json_object_get_boolean_member_with_default (article, "published",
                                                                                FALSE));
  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable, changed_cb,
                               change_new (self, id));
}

static char *
help_url (ConfabArticlesPage *self,
          JsonObject         *article)
{
  g_autofree char *base = g_strdup (confab_client_get_relay_url (self->client));
  const char *slug = confab_admin_string (article, "slug");
  g_autofree char *key = NULL;
  g_autofree char *escaped = NULL;
  gsize len = base != NULL ? strlen (base) : 0;

  if (base == NULL || self->site_key == NULL || slug == NULL)
    return NULL;
  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  key = g_uri_escape_string (self->site_key, NULL, FALSE);
  escaped = g_uri_escape_string (slug, NULL, FALSE);
  return g_strdup_printf ("%s/help/%s/%s", base, key, escaped);
}

static void
view_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  ConfabArticlesPage *self = CONFAB_ARTICLES_PAGE (widget);
  JsonObject *article = confab_admin_list_find (&self->list, g_variant_get_string (parameter, NULL));
  g_autofree char *url = article != NULL ? help_url (self, article) : NULL;

  if (url == NULL)
    {
      confab_admin_toast (widget, _("The help centre’s address is not known yet"));
      return;
    }
  /* the user's browser (GtkUriLauncher is GTK 4.10: gtk_show_uri on 4.8) */
  gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (widget)), url, GDK_CURRENT_TIME);
}

static void
do_delete (gpointer data)
{
  Change *change = data;
  g_autofree char *path = confab_admin_path ("articles", change->id, NULL);

  confab_client_request_async (change->self->client, "DELETE", path, NULL,
                               change->self->cancellable, changed_cb,
                               change_new (change->self, change->id));
}

static void
delete_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabArticlesPage *self = CONFAB_ARTICLES_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  JsonObject *article = confab_admin_list_find (&self->list, id);
  /* Translators: %s is a help article's title */
  g_autofree char *body = g_strdup_printf (_("“%s” is deleted, and its help centre page with it; links to it stop working."),
                                           article != NULL ? confab_admin_string (article, "title") : id);

  confab_admin_confirm (widget, _("Delete the Article?"), body, _("_Delete"), do_delete,
                        change_new (self, id), change_free);
}

/* --------------------------------------------------------------- list --- */

static GtkWidget *
article_row (gpointer    page,
             JsonObject *article)
{
  ConfabArticlesPage *self = page;
  const char *id = confab_admin_string (article, "id");
  const char *category = confab_admin_string (article, "category");
  gboolean published = json_object_get_boolean_member_with_default (article, "published", FALSE);
  g_autofree char *title = confab_admin_markup (confab_admin_string (article, "title"));
  g_autofree char *details = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *name = g_strdup_printf ("article-%s", confab_admin_string (article, "slug"));
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *state = gtk_label_new (published ? _("Published") : _("Draft"));

  /* Translators: a help article's category (or "No category") and language tag */
  details = g_strdup_printf (_("%s · %s"),
                             category != NULL && *category != '\0' ? category : _("No category"),
                             string_or (article, "language", "en"));
  subtitle = confab_admin_markup (details);
  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_name (state, "article-state");
  gtk_widget_add_css_class (state, "caption");
  gtk_widget_add_css_class (state, published ? "success" : "dim-label");
  gtk_widget_set_valign (state, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), state);
  if (published)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                               confab_admin_row_button ("web-browser-symbolic",
                                                        _("View in Help Centre"),
                                                        "articles.view", id, "article-view"));
  if (self->may_write)
    {
      GtkWidget *publish = gtk_button_new_with_label (published ? _("Unpublish") : _("Publish"));

      gtk_widget_set_name (publish, published ? "article-unpublish" : "article-publish");
      gtk_widget_set_valign (publish, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (publish, "flat");
      gtk_actionable_set_action_name (GTK_ACTIONABLE (publish), "articles.publish");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (publish), "s", id);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), publish);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("document-edit-symbolic", _("Edit"),
                                                          "articles.edit", id, "article-edit"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("user-trash-symbolic", _("Delete"),
                                                          "articles.delete", id, "article-delete"));
    }
  return row;
}

static void
load (ConfabArticlesPage *self)
{
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  path = confab_admin_path ("sites", self->site_id, "articles");
  confab_admin_list_load (&self->list, self->client, path, self->cancellable);
}

static void
site_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  ConfabArticlesPage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  if (site != NULL)
    {
      g_free (self->site_key);
      self->site_key = g_strdup (confab_admin_string (site, "site_key"));
    }
}

/* ------------------------------------------------------------- pushed --- */

static void
on_articles_changed (ConfabClient       *client,
                     const char         *site_id,
                     JsonArray          *articles,
                     ConfabArticlesPage *self)
{
  if (g_strcmp0 (site_id, self->site_id) != 0)
    return;
  confab_admin_list_show (&self->list, articles);
}

static void
on_state_changed (ConfabClient       *client,
                  GParamSpec         *pspec,
                  ConfabArticlesPage *self)
{
  /* back online: what changed meanwhile was pushed to nobody */
  if (confab_client_get_state (client) == CONFAB_CLIENT_ONLINE)
    load (self);
}

/* --------------------------------------------------------------- site --- */

static void
set_site_id (ConfabArticlesPage *self,
             const char         *site_id)
{
  g_autofree char *role = NULL;

  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  g_clear_pointer (&self->site_key, g_free);
  /* what was on its way for the last site is not for this one */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (site_id != NULL && self->client != NULL)
    role = confab_client_dup_site_role (self->client, site_id);
  self->may_write = g_strcmp0 (role, "owner") == 0 || g_strcmp0 (role, "admin") == 0;
  gtk_widget_set_visible (self->add_button, self->may_write);
  confab_admin_list_clear (&self->list);
  load (self);
  if (site_id != NULL && self->client != NULL)
    {
      g_autofree char *path = confab_admin_path ("sites", site_id, NULL);

      confab_client_get_json_async (self->client, path, self->cancellable, site_cb, self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_articles_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ConfabArticlesPage *self = CONFAB_ARTICLES_PAGE (object);

  switch (prop_id)
    {
    case PROP_SITE_ID:
      g_value_set_string (value, self->site_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_articles_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ConfabArticlesPage *self = CONFAB_ARTICLES_PAGE (object);

  switch (prop_id)
    {
    case PROP_SITE_ID:
      set_site_id (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_articles_page_dispose (GObject *object)
{
  ConfabArticlesPage *self = CONFAB_ARTICLES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (confab_articles_page_parent_class)->dispose (object);
}

static void
confab_articles_page_finalize (GObject *object)
{
  ConfabArticlesPage *self = CONFAB_ARTICLES_PAGE (object);

  g_free (self->site_id);
  g_free (self->site_key);
  g_clear_pointer (&self->list.items, json_array_unref);
  g_ptr_array_unref (self->list.rows);
  G_OBJECT_CLASS (confab_articles_page_parent_class)->finalize (object);
}

static void
confab_articles_page_class_init (ConfabArticlesPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_articles_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_articles_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_articles_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_articles_page_set_property;

  /* the site the settings area's picker shows; NULL: none */
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_install_action (widget_class, "articles.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "articles.edit", "s", edit_action);
  gtk_widget_class_install_action (widget_class, "articles.publish", "s", publish_action);
  gtk_widget_class_install_action (widget_class, "articles.view", "s", view_action);
  gtk_widget_class_install_action (widget_class, "articles.delete", "s", delete_action);
}

static void
confab_articles_page_init (ConfabArticlesPage *self)
{
  GtkWidget *content = adw_button_content_new ();

  gtk_widget_set_name (GTK_WIDGET (self), "articles-page");
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Articles"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "accessories-dictionary-symbolic");
  self->articles_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  gtk_widget_set_name (GTK_WIDGET (self->articles_group), "articles-group");
  adw_preferences_group_set_title (self->articles_group, _("Help Articles"));
  self->add_button = gtk_button_new ();
  gtk_widget_set_name (self->add_button, "articles-add-button");
  gtk_widget_set_valign (self->add_button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (self->add_button, _("Write an Article"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->add_button), "articles.add");
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _("_New"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (self->add_button), content);
  adw_preferences_group_set_header_suffix (self->articles_group, self->add_button);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->articles_group);

  self->cancellable = g_cancellable_new ();
  self->list = (ConfabAdminList) {
    .group = self->articles_group,
    .member = "articles",
    .empty_text = _("None yet. Published articles are on the site’s help centre, and the widget’s Help tab finds them."),
    .filled_text = _("Published articles are on the site’s help centre, and the widget’s Help tab finds them."),
    .failed_text = _("The articles could not be loaded"),
    .make_row = article_row,
    .page = self,
  };
  confab_admin_list_init (&self->list);
}

GtkWidget *
confab_articles_page_new (ConfabClient *client)
{
  ConfabArticlesPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_ARTICLES_PAGE, NULL);
  self->client = g_object_ref (client);
  confab_client_ensure_chat_signals ();
  g_signal_connect (client, "articles-changed", G_CALLBACK (on_articles_changed), self);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state_changed), self);
  return GTK_WIDGET (self);
}
