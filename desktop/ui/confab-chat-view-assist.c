/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat-view-assist.c: agent assist (issue 16) in the conversation pane, shown only for
 * sites whose relay has an assistant ("assistant_available" in the site object, asked once per
 * site and kept current by the `site` frame):
 *
 * - "Suggest Reply" in the composer (its button or Ctrl+Shift+Space): POST
 *   …/suggest-reply; the button turns into a spinner that cancels when clicked again; the answer
 *   fills the composer — editable, one Ctrl+Z away from what was there, never sent by itself —
 *   and the sources it came from show under the composer until the text is sent or cleared.
 * - "Summarize" in the conversation's menu: POST …/summary; the paragraph shows in a card
 *   over the messages until it is closed or another conversation is opened. A long
 *   conversation (LONG_CONVERSATION messages or more: one taken over from a colleague, say) is
 *   summarized by itself when opened; the paragraph is kept for this session until the
 *   conversation grows, so that opening it again asks the model nothing.
 *
 * The relay's refusals become plain words in the window's toast (docs/errors.md: 503
 * assistant_unavailable, 504 assistant_timeout, 502 assistant_failed, 429 rate_limited). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-assistant-sources.h"
#include "confab-chat-view-private.h"
#include "confab-client-admin.h"
#include "confab-client-chat.h"
#include "confab-json.h"

/* From this many messages a conversation is summarized when it is opened. */
#define LONG_CONVERSATION 12

typedef struct {
  gint64  last_seq;  /* the conversation's when summarized */
  char   *text;
} Summary;

static void
summary_free (Summary *summary)
{
  g_free (summary->text);
  g_free (summary);
}

typedef struct {
  GHashTable   *available;       /* site id → GINT_TO_POINTER (1 + available) */
  char         *asking;          /* the site whose object is being fetched */
  GtkWidget    *suggest_button;
  GtkWidget    *suggest_icon;
  GtkWidget    *suggest_spinner;
  GCancellable *suggesting;      /* while a suggestion is on its way */
  GtkRevealer  *sources_revealer;
  GtkLabel     *sources_label;
  char         *suggested;       /* the text put in the composer, while it is there */
  GtkRevealer  *summary_revealer;
  GtkLabel     *summary_label;
  GtkWidget    *summary_spinner;
  GCancellable *summarizing;
  gboolean      summarizing_by_itself;  /* opened long: a failure is no news to show */
  GHashTable   *summaries;       /* conversation id → Summary */
  GCancellable *site_loads;
} Assist;

static void
assist_free (Assist *assist)
{
  g_cancellable_cancel (assist->suggesting);
  g_cancellable_cancel (assist->summarizing);
  g_cancellable_cancel (assist->site_loads);
  g_clear_object (&assist->suggesting);
  g_clear_object (&assist->summarizing);
  g_clear_object (&assist->site_loads);
  g_hash_table_unref (assist->available);
  g_hash_table_unref (assist->summaries);
  g_free (assist->asking);
  g_free (assist->suggested);
  g_free (assist);
}

static Assist *
assist_of (ConfabChatView *self)
{
  return g_object_get_data (G_OBJECT (self), "confab-assist");
}

static const char *
site_of (ConfabChatView *self)
{
  return self->conversation != NULL ? confab_conversation_get_site_id (self->conversation) : NULL;
}

/* The relay's refusal in words an agent can act on. */
static void
report (ConfabChatView *self,
        const char     *code,
        GError         *error)
{
  const char *text = NULL;

  if (g_strcmp0 (code, "assistant_unavailable") == 0)
    text = _("The relay has no assistant configured: ask its administrator to set one up");
  else if (g_strcmp0 (code, "assistant_timeout") == 0)
    text = _("The assistant took too long to answer: try again in a moment");
  else if (g_strcmp0 (code, "assistant_failed") == 0)
    text = _("The assistant could not answer just now: try again, or write the reply yourself");
  else if (g_strcmp0 (code, "rate_limited") == 0)
    text = _("Too many requests to the assistant: wait a minute and try again");
  if (text != NULL)
    confab_chat_view_toast (self, text);
  else
    confab_chat_view_report (self, error);
}

static void summarize_if_long (ConfabChatView *self);

/* -------------------------------------------------------- availability --- */

static gboolean
available (ConfabChatView *self)
{
  Assist *assist = assist_of (self);
  const char *site_id = site_of (self);

  return site_id != NULL && GPOINTER_TO_INT (g_hash_table_lookup (assist->available, site_id)) == 2;
}

static void
update_available (ConfabChatView *self)
{
  Assist *assist = assist_of (self);
  gboolean on = available (self) && self->conversation_id != NULL;

  gtk_widget_set_visible (assist->suggest_button, on);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.suggest-reply", on);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.summarize", on);
}

static void
note_site (ConfabChatView *self,
           const char     *site_id,
           JsonObject     *site)
{
  Assist *assist = assist_of (self);
  gboolean known = g_hash_table_contains (assist->available, site_id);
  gboolean on = FALSE;

  /* a relay from before the assistant has no member: the same as none configured */
  confab_json_get_bool (site, "assistant_available", FALSE, FALSE, &on, NULL);
  g_hash_table_insert (assist->available, g_strdup (site_id), GINT_TO_POINTER (on ? 2 : 1));
  update_available (self);
  /* the first word on the open conversation's site: what opening it would have done (a pushed
   * change of the site later never brings back a card the agent closed) */
  if (!known && g_strcmp0 (site_id, site_of (self)) == 0)
    summarize_if_long (self);
}

static void
site_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (ConfabChatView) self = user_data;
  Assist *assist = assist_of (self);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  g_autofree char *site_id = NULL;

  /* the view let go of its account (closed): its widgets are gone */
  if (assist == NULL || self->account == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  site_id = g_steal_pointer (&assist->asking);
  /* not known (offline): asked again when the conversation is opened next */
  if (site != NULL && site_id != NULL)
    note_site (self, site_id, site);
}

static void
on_site_updated (ConfabChatView *self,
                 const char     *site_id,
                 JsonObject     *site)
{
  if (assist_of (self) != NULL && site_id != NULL && site != NULL)
    note_site (self, site_id, site);
}

void
confab_chat_view_assist_connect (ConfabChatView *self,
                                 ConfabAccount  *account)
{
  confab_client_ensure_chat_signals ();
  g_signal_connect_object (confab_account_get_client (account), "site-updated",
                           G_CALLBACK (on_site_updated), self, G_CONNECT_SWAPPED);
}

/* ----------------------------------------------------------- suggest --- */

static void
set_suggesting (ConfabChatView *self,
                gboolean        busy)
{
  Assist *assist = assist_of (self);
  const char *tip = busy ? _("Cancel the Suggestion") : _("Suggest a Reply (Ctrl+Shift+Space)");

  gtk_widget_set_visible (assist->suggest_icon, !busy);
  gtk_widget_set_visible (assist->suggest_spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (assist->suggest_spinner), busy);
  gtk_widget_set_tooltip_text (assist->suggest_button, tip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (assist->suggest_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  busy ? _("Cancel the Suggestion") : _("Suggest a Reply"), -1);
  if (!busy)
    g_clear_object (&assist->suggesting);
}

static void
hide_sources (ConfabChatView *self)
{
  Assist *assist = assist_of (self);

  gtk_revealer_set_reveal_child (assist->sources_revealer, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (assist->sources_revealer), FALSE);
  g_clear_pointer (&assist->suggested, g_free);
}

typedef struct {
  ConfabChatView *self;
  char           *conversation_id;
  gint64          last_seq;
} Asked;

static void
asked_free (Asked *asked)
{
  g_object_unref (asked->self);
  g_free (asked->conversation_id);
  g_free (asked);
}

static void
suggested_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Asked *asked = user_data;
  ConfabChatView *self = asked->self;
  Assist *assist = assist_of (self);
  g_autoptr (GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, &code, &error);
  const char *body = answer != NULL ? confab_admin_string (answer, "body") : NULL;
  JsonNode *sources = answer != NULL ? json_object_get_member (answer, "sources") : NULL;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *markup = NULL;

  if (assist == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_strcmp0 (asked->conversation_id, self->conversation_id) != 0)
    goto out;
  set_suggesting (self, FALSE);
  if (answer == NULL)
    {
      report (self, code, error);
      goto out;
    }
  if (body == NULL || *body == '\0')
    {
      confab_chat_view_toast (self, _("The assistant had no reply to suggest"));
      goto out;
    }
  /* one user action: Ctrl+Z gives back what the agent had written */
  buffer = gtk_text_view_get_buffer (self->composer);
  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_delete (buffer, &start, &end);
  gtk_text_buffer_insert (buffer, &start, body, -1);
  gtk_text_buffer_end_user_action (buffer);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_place_cursor (buffer, &end);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
  g_free (assist->suggested);
  assist->suggested = g_strdup (body);
  markup = confab_assistant_sources_markup (sources != NULL && JSON_NODE_HOLDS_ARRAY (sources)
                                            ? json_node_get_array (sources) : NULL,
                                            confab_client_get_relay_url (confab_chat_view_client (self)));
  gtk_label_set_markup (assist->sources_label, markup != NULL ? markup : "");
  gtk_widget_set_visible (GTK_WIDGET (assist->sources_revealer), markup != NULL);
  gtk_revealer_set_reveal_child (assist->sources_revealer, markup != NULL);

out:
  asked_free (asked);
}

static void
suggest_action (GtkWidget  *widget,
                const char *name,
                GVariant   *parameter)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  Assist *assist = assist_of (self);
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = NULL;
  Asked *asked;

  if (assist->suggesting != NULL)
    {
      /* the second press cancels */
      g_cancellable_cancel (assist->suggesting);
      set_suggesting (self, FALSE);
      return;
    }
  if (self->conversation_id == NULL || !available (self))
    return;
  assist->suggesting = g_cancellable_new ();
  set_suggesting (self, TRUE);
  asked = g_new0 (Asked, 1);
  asked->self = g_object_ref (self);
  asked->conversation_id = g_strdup (self->conversation_id);
  path = confab_admin_path ("conversations", self->conversation_id, "suggest-reply");
  confab_client_request_async (confab_chat_view_client (self), "POST", path, body, assist->suggesting,
                               suggested_cb, asked);
}

/* The composer's text changed: the sources belong to the suggestion only while some of it is
 * there (sent, or cleared, they go). */
static void
on_composer_changed (ConfabChatView *self)
{
  Assist *assist = assist_of (self);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);

  if (assist != NULL && assist->suggested != NULL && gtk_text_buffer_get_char_count (buffer) == 0)
    hide_sources (self);
}

/* ----------------------------------------------------------- summary --- */

static void
summarized_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Asked *asked = user_data;
  ConfabChatView *self = asked->self;
  Assist *assist = assist_of (self);
  g_autoptr (GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, &code, &error);
  const char *summary = answer != NULL ? confab_admin_string (answer, "summary") : NULL;

  if (assist == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_strcmp0 (asked->conversation_id, self->conversation_id) != 0)
    goto out;
  g_clear_object (&assist->summarizing);
  gtk_spinner_set_spinning (GTK_SPINNER (assist->summary_spinner), FALSE);
  gtk_widget_set_visible (assist->summary_spinner, FALSE);
  if (answer == NULL || summary == NULL || *summary == '\0')
    {
      gtk_revealer_set_reveal_child (assist->summary_revealer, FALSE);
      if (assist->summarizing_by_itself)
        g_debug ("No summary of a long conversation: %s", error != NULL ? error->message : "empty");
      else if (answer == NULL)
        report (self, code, error);
      else
        confab_chat_view_toast (self, _("The assistant had nothing to summarize"));
      goto out;
    }
  gtk_label_set_text (assist->summary_label, summary);
  {
    Summary *kept = g_new0 (Summary, 1);

    kept->last_seq = asked->last_seq;
    kept->text = g_strdup (summary);
    g_hash_table_insert (assist->summaries, g_strdup (asked->conversation_id), kept);
  }

out:
  asked_free (asked);
}

static void
show_summary_card (ConfabChatView *self,
                   const char     *text,
                   gboolean        busy)
{
  Assist *assist = assist_of (self);

  gtk_label_set_text (assist->summary_label, text);
  gtk_widget_set_visible (assist->summary_spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (assist->summary_spinner), busy);
  gtk_widget_set_visible (GTK_WIDGET (assist->summary_revealer), TRUE);
  gtk_revealer_set_reveal_child (assist->summary_revealer, TRUE);
}

static void
summarize (ConfabChatView *self,
           gboolean        by_itself)
{
  Assist *assist = assist_of (self);
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = NULL;
  gint64 last_seq = self->conversation != NULL ? confab_conversation_get_last_seq (self->conversation) : 0;
  Summary *kept;
  Asked *asked;

  if (self->conversation_id == NULL || !available (self) || assist->summarizing != NULL)
    return;
  /* nothing said since: the paragraph of before */
  kept = g_hash_table_lookup (assist->summaries, self->conversation_id);
  if (kept != NULL && kept->last_seq == last_seq)
    {
      show_summary_card (self, kept->text, FALSE);
      return;
    }
  assist->summarizing = g_cancellable_new ();
  assist->summarizing_by_itself = by_itself;
  show_summary_card (self, _("Summarizing the conversation…"), TRUE);
  asked = g_new0 (Asked, 1);
  asked->self = g_object_ref (self);
  asked->conversation_id = g_strdup (self->conversation_id);
  asked->last_seq = last_seq;
  path = confab_admin_path ("conversations", self->conversation_id, "summary");
  confab_client_request_async (confab_chat_view_client (self), "POST", path, body, assist->summarizing,
                               summarized_cb, asked);
}

static void
summarize_if_long (ConfabChatView *self)
{
  if (self->conversation != NULL && available (self) &&
      confab_conversation_get_last_seq (self->conversation) >= LONG_CONVERSATION)
    summarize (self, TRUE);
}

static void
summarize_action (GtkWidget  *widget,
                  const char *name,
                  GVariant   *parameter)
{
  summarize (CONFAB_CHAT_VIEW (widget), FALSE);
}

static void
close_summary (ConfabChatView *self)
{
  Assist *assist = assist_of (self);

  /* closing while it is on its way cancels it */
  g_cancellable_cancel (assist->summarizing);
  g_clear_object (&assist->summarizing);
  gtk_spinner_set_spinning (GTK_SPINNER (assist->summary_spinner), FALSE);
  gtk_revealer_set_reveal_child (assist->summary_revealer, FALSE);
}

static void
on_summary_revealed (ConfabChatView *self)
{
  Assist *assist = assist_of (self);

  /* folded away: no room kept for it */
  if (assist != NULL && !gtk_revealer_get_child_revealed (assist->summary_revealer) &&
      !gtk_revealer_get_reveal_child (assist->summary_revealer))
    gtk_widget_set_visible (GTK_WIDGET (assist->summary_revealer), FALSE);
}

/* ---------------------------------------------------------- the view --- */

void
confab_chat_view_assist_opened (ConfabChatView *self)
{
  Assist *assist = assist_of (self);
  const char *site_id = site_of (self);

  if (assist == NULL)
    return;
  g_cancellable_cancel (assist->suggesting);
  set_suggesting (self, FALSE);
  hide_sources (self);
  close_summary (self);
  gtk_widget_set_visible (GTK_WIDGET (assist->summary_revealer), FALSE);
  update_available (self);
  summarize_if_long (self);
  if (site_id == NULL || g_hash_table_contains (assist->available, site_id) ||
      g_strcmp0 (assist->asking, site_id) == 0 || confab_chat_view_client (self) == NULL)
    return;
  g_cancellable_cancel (assist->site_loads);
  g_clear_object (&assist->site_loads);
  assist->site_loads = g_cancellable_new ();
  g_free (assist->asking);
  assist->asking = g_strdup (site_id);
  {
    g_autofree char *path = confab_admin_path ("sites", site_id, NULL);

    confab_client_request_async (confab_chat_view_client (self), "GET", path, NULL, assist->site_loads,
                                 site_cb, g_object_ref (self));
  }
}

void
confab_chat_view_assist_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.suggest-reply", NULL, suggest_action);
  gtk_widget_class_install_action (widget_class, "chat.summarize", NULL, summarize_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_space, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "chat.suggest-reply", NULL);
}

void
confab_chat_view_assist_init (ConfabChatView *self,
                              GMenu          *menu)
{
  Assist *assist = g_new0 (Assist, 1);
  GtkWidget *overlay = gtk_widget_get_parent (GTK_WIDGET (self->scroller));
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title = gtk_label_new (_("Summary"));
  GtkWidget *close = gtk_button_new_from_icon_name ("window-close-symbolic");
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  g_autoptr (GMenu) section = g_menu_new ();
  g_autoptr (GMenuItem) item = g_menu_item_new (_("_Summarize"), "chat.summarize");

  assist->available = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  assist->summaries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) summary_free);
  g_object_set_data_full (G_OBJECT (self), "confab-assist", assist, (GDestroyNotify) assist_free);

  /* the composer's button: a star, a spinner while the suggestion comes */
  assist->suggest_button = gtk_button_new ();
  gtk_widget_set_name (assist->suggest_button, "assist-suggest");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (assist->suggest_button), "chat.suggest-reply");
  gtk_widget_set_valign (assist->suggest_button, GTK_ALIGN_END);
  gtk_widget_add_css_class (assist->suggest_button, "flat");
  gtk_widget_add_css_class (assist->suggest_button, "circular");
  assist->suggest_icon = gtk_image_new_from_icon_name ("starred-symbolic");
  assist->suggest_spinner = gtk_spinner_new ();
  gtk_widget_set_name (assist->suggest_spinner, "assist-suggest-spinner");
  gtk_box_append (GTK_BOX (content), assist->suggest_icon);
  gtk_box_append (GTK_BOX (content), assist->suggest_spinner);
  gtk_button_set_child (GTK_BUTTON (assist->suggest_button), content);
  gtk_widget_insert_before (assist->suggest_button, self->composer_box, GTK_WIDGET (self->send_button));
  set_suggesting (self, FALSE);

  /* the suggestion's sources, under the composer */
  assist->sources_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (assist->sources_label), "assist-sources");
  gtk_label_set_wrap (assist->sources_label, TRUE);
  gtk_label_set_xalign (assist->sources_label, 0);
  gtk_label_set_max_width_chars (assist->sources_label, 24);
  gtk_widget_set_margin_start (GTK_WIDGET (assist->sources_label), 14);
  gtk_widget_set_margin_end (GTK_WIDGET (assist->sources_label), 14);
  gtk_widget_set_margin_bottom (GTK_WIDGET (assist->sources_label), 6);
  gtk_widget_add_css_class (GTK_WIDGET (assist->sources_label), "caption");
  assist->sources_revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_transition_type (assist->sources_revealer, GTK_REVEALER_TRANSITION_TYPE_SLIDE_DOWN);
  gtk_revealer_set_child (assist->sources_revealer, GTK_WIDGET (assist->sources_label));
  gtk_widget_set_visible (GTK_WIDGET (assist->sources_revealer), FALSE);
  gtk_widget_insert_after (GTK_WIDGET (assist->sources_revealer), gtk_widget_get_parent (self->composer_box),
                           self->composer_box);
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->composer), "changed",
                            G_CALLBACK (on_composer_changed), self);

  /* the summary's card, over the messages */
  gtk_widget_set_name (card, "assist-summary");
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "assist-summary");
  gtk_widget_set_margin_start (card, 12);
  gtk_widget_set_margin_end (card, 12);
  gtk_widget_set_margin_top (card, 8);
  gtk_widget_set_margin_bottom (card, 4);
  gtk_widget_add_css_class (title, "heading");
  gtk_widget_set_hexpand (title, TRUE);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  assist->summary_spinner = gtk_spinner_new ();
  gtk_widget_set_visible (assist->summary_spinner, FALSE);
  gtk_widget_set_name (close, "assist-summary-close");
  gtk_widget_set_tooltip_text (close, _("Close the Summary"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (close), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Close the Summary"), -1);
  gtk_widget_add_css_class (close, "flat");
  gtk_widget_add_css_class (close, "circular");
  g_signal_connect_swapped (close, "clicked", G_CALLBACK (close_summary), self);
  gtk_box_append (GTK_BOX (head), assist->summary_spinner);
  gtk_box_append (GTK_BOX (head), title);
  gtk_box_append (GTK_BOX (head), close);
  gtk_widget_set_margin_start (head, 12);
  gtk_widget_set_margin_end (head, 6);
  gtk_widget_set_margin_top (head, 6);
  assist->summary_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (assist->summary_label), "assist-summary-text");
  gtk_label_set_wrap (assist->summary_label, TRUE);
  gtk_label_set_wrap_mode (assist->summary_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (assist->summary_label, 0);
  gtk_label_set_selectable (assist->summary_label, TRUE);
  /* a wrapping label asks for its whole text on one line otherwise: the pane would widen */
  gtk_label_set_max_width_chars (assist->summary_label, 24);
  gtk_widget_set_margin_start (GTK_WIDGET (assist->summary_label), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (assist->summary_label), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (assist->summary_label), 12);
  gtk_box_append (GTK_BOX (card), head);
  gtk_box_append (GTK_BOX (card), GTK_WIDGET (assist->summary_label));
  assist->summary_revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_child (assist->summary_revealer, card);
  /* no slide: the message list's height changing for 250 ms while it pins itself to the bottom
   * makes it miss its scroll */
  gtk_revealer_set_transition_type (assist->summary_revealer, GTK_REVEALER_TRANSITION_TYPE_NONE);
  gtk_widget_set_visible (GTK_WIDGET (assist->summary_revealer), FALSE);
  g_signal_connect_swapped (assist->summary_revealer, "notify::child-revealed",
                            G_CALLBACK (on_summary_revealed), self);
  gtk_widget_insert_before (GTK_WIDGET (assist->summary_revealer), gtk_widget_get_parent (overlay), overlay);

  /* in the conversation's menu, only where the relay has an assistant */
  g_menu_item_set_attribute (item, "hidden-when", "s", "action-disabled");
  g_menu_append_item (section, item);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  update_available (self);
}
