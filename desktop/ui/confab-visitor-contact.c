/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-visitor-contact.c: the contact part of the visitor pane (see the header).
 *
 * Each field saves on its own (the entry row's apply button or Enter; the notes' Save button):
 * one PATCH with that member only, so two agents editing two fields never undo each other. The
 * relay's answer is the visitor, which goes into the cache at once (the `visitor` event follows
 * for the other agents). A refusal (an e-mail that is not one, too many tags) is shown under the
 * fields and what was typed stays for a correction. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-client-admin.h"
#include "confab-format.h"
#include "confab-util.h"
#include "confab-visitor-contact.h"

/* the relay's limits (docs/http-api.md, PATCH /api/v1/visitors/{id}) */
#define MAX_PHONE    40
#define MAX_NOTES    4000
#define MAX_TAGS     20
#define MAX_TAG      40
#define MAX_GOALS    10

enum {
  FIELD_NAME,
  FIELD_EMAIL,
  FIELD_PHONE,
  FIELD_TAGS,
  N_FIELDS
};

static const char * const field_members[N_FIELDS] = { "name", "email", "phone", "tags" };

struct _ConfabVisitorContact
{
  AdwBin               parent_instance;

  AdwPreferencesGroup *contact_group;
  GtkWidget           *score_row;
  GtkLevelBar         *score_bar;
  GtkLabel            *score_label;
  AdwEntryRow         *entries[N_FIELDS];
  char                *shown[N_FIELDS];   /* what the cache said when the field was last set */
  GtkLabel            *error_label;
  AdwPreferencesGroup *notes_group;
  GtkTextView         *notes_view;
  GtkWidget           *notes_save;
  char                *notes_shown;
  AdwPreferencesGroup *goals_group;
  GPtrArray           *goal_rows;

  ConfabAccount       *account;
  char                *visitor_id;
  char                *site_id;
  GCancellable        *cancellable;
  gboolean             updating;   /* setting the fields from the visitor, not typing */
};

G_DEFINE_FINAL_TYPE (ConfabVisitorContact, confab_visitor_contact, ADW_TYPE_BIN)

static void
show_error (ConfabVisitorContact *self,
            const char           *text)
{
  gtk_label_set_text (self->error_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), text != NULL);
}

static char *
notes_text (ConfabVisitorContact *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->notes_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* "vip, newsletter ,, B2B" → ["vip","newsletter","B2B"]; NULL with @error when the relay would
 * refuse it anyway (said here, before a round trip). */
static JsonNode *
parse_tags (const char  *text,
            char       **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr (JsonArray) tags = json_array_new ();
  JsonNode *node;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *tag = g_strstrip (parts[i]);

      if (*tag == '\0')
        continue;
      if (g_utf8_strlen (tag, -1) > MAX_TAG)
        {
          /* Translators: %s is a tag, %d its longest length */
          *error = g_strdup_printf (_("The tag “%s” is longer than %d characters"), tag, MAX_TAG);
          return NULL;
        }
      json_array_add_string_element (tags, tag);
    }
  if (json_array_get_length (tags) > MAX_TAGS)
    {
      *error = g_strdup_printf (_("At most %d tags"), MAX_TAGS);
      return NULL;
    }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, tags);
  return node;
}

static char *
tags_text (ConfabVisitor *visitor)
{
  g_auto (GStrv) tags = confab_visitor_dup_tags (visitor);

  return g_strjoinv (", ", tags);
}

/* ---------------------------------------------------------------- save --- */

typedef struct {
  ConfabVisitorContact *self;
  char                 *visitor_id;
  int                   field;   /* FIELD_*, or -1: the notes */
  char                 *sent;
} Save;

static void
save_free (Save *save)
{
  g_object_unref (save->self);
  g_free (save->visitor_id);
  g_free (save->sent);
  g_free (save);
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Save *save = user_data;
  ConfabVisitorContact *self = save->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result,
                                                                NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_strcmp0 (save->visitor_id, self->visitor_id) != 0)
    {
      save_free (save);
      return;
    }
  if (answer == NULL)
    {
      /* Translators: %s is the relay's reason ("email is not an e-mail address") */
      g_autofree char *text = g_strdup_printf (_("Not saved: %s"), error->message);

      show_error (self, text);
      save_free (save);
      return;
    }
  show_error (self, NULL);
  /* what was saved is what the field shows now: the visitor's next change may replace it */
  if (save->field >= 0)
    {
      g_free (self->shown[save->field]);
      self->shown[save->field] = g_strdup (save->sent);
    }
  else
    {
      g_free (self->notes_shown);
      self->notes_shown = g_strdup (save->sent);
      gtk_widget_set_sensitive (self->notes_save, FALSE);
    }
  if (self->account != NULL && self->site_id != NULL)
    {
      g_autoptr (GError) cache_error = NULL;

      if (!confab_cache_apply_visitor_snapshot (confab_account_get_cache (self->account),
                                                self->site_id, answer, &cache_error))
        g_debug ("Visitor not cached: %s", cache_error->message);
    }
  save_free (save);
}

static void
save_member (ConfabVisitorContact *self,
             int                   field,
             const char           *member,
             JsonNode             *value,
             const char           *sent)
{
  ConfabClient *client = self->account != NULL ? confab_account_get_client (self->account) : NULL;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  Save *save;

  if (client == NULL || self->visitor_id == NULL)
    {
      json_node_unref (value);
      return;
    }
  json_object_set_member (body, member, value);
  if (confab_client_get_state (client) != CONFAB_CLIENT_ONLINE)
    {
      /* kept typed: saved with the next apply once online */
      show_error (self, _("Not connected: not saved yet, apply it again once online"));
      return;
    }
  save = g_new0 (Save, 1);
  save->self = g_object_ref (self);
  save->visitor_id = g_strdup (self->visitor_id);
  save->field = field;
  save->sent = g_strdup (sent);
  escaped = g_uri_escape_string (self->visitor_id, NULL, FALSE);
  path = g_strconcat ("/api/v1/visitors/", escaped, NULL);
  confab_client_request_async (client, "PATCH", path, body, self->cancellable, saved_cb, save);
}

/* An empty field clears the member (null), whatever it held. */
static JsonNode *
string_or_null (const char *text)
{
  JsonNode *node = json_node_alloc ();

  return *text != '\0' ? json_node_init_string (node, text) : json_node_init_null (node);
}

static void
on_apply (AdwEntryRow          *row,
          ConfabVisitorContact *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  g_autofree char *error = NULL;
  JsonNode *value;
  int field = -1;

  for (int i = 0; i < N_FIELDS; i++)
    if (self->entries[i] == row)
      field = i;
  g_return_if_fail (field >= 0);

  if (field == FIELD_TAGS)
    value = parse_tags (text, &error);
  else if (field == FIELD_PHONE && g_utf8_strlen (text, -1) > MAX_PHONE)
    {
      error = g_strdup_printf (_("A phone number has at most %d characters"), MAX_PHONE);
      value = NULL;
    }
  else
    value = string_or_null (text);
  if (value == NULL)
    {
      show_error (self, error);
      return;
    }
  save_member (self, field, field_members[field], value, gtk_editable_get_text (GTK_EDITABLE (row)));
}

static void
on_notes_changed (ConfabVisitorContact *self)
{
  g_autofree char *text = notes_text (self);

  if (!self->updating)
    gtk_widget_set_sensitive (self->notes_save, g_strcmp0 (text, self->notes_shown != NULL
                                                                ? self->notes_shown : "") != 0);
}

static void
on_notes_save (ConfabVisitorContact *self)
{
  g_autofree char *text = notes_text (self);
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  if (g_utf8_strlen (text, -1) > MAX_NOTES)
    {
      g_autofree char *error = g_strdup_printf (_("Notes have at most %d characters"), MAX_NOTES);

      show_error (self, error);
      return;
    }
  save_member (self, -1, "notes", string_or_null (trimmed), text);
}

/* ------------------------------------------------------------- visitor --- */

static void
set_field (ConfabVisitorContact *self,
           int                   field,
           const char           *value,
           gboolean              other)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entries[field]));

  value = value != NULL ? value : "";
  /* typed and not saved yet: the agent's words stay (another visitor: they go) */
  if (!other && g_strcmp0 (text, self->shown[field] != NULL ? self->shown[field] : "") != 0)
    return;
  g_free (self->shown[field]);
  self->shown[field] = g_strdup (value);
  if (g_strcmp0 (text, value) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->entries[field]), value);
}

static void
set_notes (ConfabVisitorContact *self,
           const char           *notes,
           gboolean              other)
{
  g_autofree char *text = notes_text (self);

  notes = notes != NULL ? notes : "";
  if (!other && g_strcmp0 (text, self->notes_shown != NULL ? self->notes_shown : "") != 0)
    return;
  g_free (self->notes_shown);
  self->notes_shown = g_strdup (notes);
  if (g_strcmp0 (text, notes) != 0)
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->notes_view), notes, -1);
  gtk_widget_set_sensitive (self->notes_save, FALSE);
}

static gint
goal_newest_first (gconstpointer a,
                   gconstpointer b)
{
  JsonObject *ga = *(JsonObject **) a, *gb = *(JsonObject **) b;

  return -g_strcmp0 (json_object_get_string_member_with_default (ga, "at", ""),
                     json_object_get_string_member_with_default (gb, "at", ""));
}

static void
show_goals (ConfabVisitorContact *self,
            const char           *goals)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  JsonArray *list;

  for (guint i = 0; i < self->goal_rows->len; i++)
    adw_preferences_group_remove (self->goals_group, self->goal_rows->pdata[i]);
  g_ptr_array_set_size (self->goal_rows, 0);
  if (goals != NULL && json_parser_load_from_data (parser, goals, -1, NULL) &&
      JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    {
      list = json_node_get_array (json_parser_get_root (parser));
      for (guint i = 0; i < json_array_get_length (list); i++)
        if (JSON_NODE_HOLDS_OBJECT (json_array_get_element (list, i)))
          g_ptr_array_add (sorted, json_array_get_object_element (list, i));
      g_ptr_array_sort (sorted, goal_newest_first);
    }
  for (guint i = 0; i < sorted->len && i < MAX_GOALS; i++)
    {
      JsonObject *goal = sorted->pdata[i];
      JsonNode *value = json_object_get_member (goal, "value");
      const char *at = json_object_get_string_member_with_default (goal, "at", NULL);
      g_autofree char *when = NULL;
      g_autofree char *subtitle = NULL;
      gint64 at_ms = 0;
      GtkWidget *row = adw_action_row_new ();

      if (at != NULL && confab_parse_time (at, &at_ms))
        when = confab_format_time_short (at_ms);
      if (value != NULL && JSON_NODE_HOLDS_VALUE (value) &&
          (json_node_get_value_type (value) == G_TYPE_DOUBLE ||
           json_node_get_value_type (value) == G_TYPE_INT64))
        {
          char number[G_ASCII_DTOSTR_BUF_SIZE];

          g_ascii_formatd (number, sizeof number, "%.2f", json_node_get_double (value));
          subtitle = when != NULL ? g_strdup_printf ("%s · %s", number, when) : g_strdup (number);
        }
      else
        subtitle = g_strdup (when);
      /* the site's own words, not markup */
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     json_object_get_string_member_with_default (goal, "name", "?"));
      if (subtitle != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_icon_name (ADW_ACTION_ROW (row), "emblem-ok-symbolic");
      gtk_widget_set_name (row, "visitor-goal");
      adw_preferences_group_add (self->goals_group, row);
      g_ptr_array_add (self->goal_rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->goals_group), self->goal_rows->len > 0);
}

void
confab_visitor_contact_set_visitor (ConfabVisitorContact *self,
                                    ConfabVisitor        *visitor)
{
  const char *id = visitor != NULL ? confab_visitor_get_id (visitor) : NULL;
  gboolean other = g_strcmp0 (id, self->visitor_id) != 0;
  gint64 score = visitor != NULL ? confab_visitor_get_lead_score (visitor) : -1;
  g_autofree char *tags = NULL;
  g_autofree char *score_text = NULL;

  g_return_if_fail (CONFAB_IS_VISITOR_CONTACT (self));

  if (other)
    {
      /* a save on its way was for the last one */
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
      show_error (self, NULL);
    }
  g_free (self->visitor_id);
  self->visitor_id = g_strdup (id);
  g_free (self->site_id);
  self->site_id = g_strdup (visitor != NULL ? confab_visitor_get_site_id (visitor) : NULL);
  /* a relay without contacts sends no lead score: nothing here could be saved */
  gtk_widget_set_visible (GTK_WIDGET (self), score >= 0);
  if (score < 0)
    return;

  self->updating = TRUE;
  set_field (self, FIELD_NAME, confab_visitor_get_name (visitor), other);
  set_field (self, FIELD_EMAIL, confab_visitor_get_email (visitor), other);
  set_field (self, FIELD_PHONE, confab_visitor_get_phone (visitor), other);
  tags = tags_text (visitor);
  set_field (self, FIELD_TAGS, tags, other);
  set_notes (self, confab_visitor_get_notes (visitor), other);
  self->updating = FALSE;

  gtk_level_bar_set_value (self->score_bar, (double) score);
  score_text = g_strdup_printf ("%d", (int) score);
  gtk_label_set_text (self->score_label, score_text);
  show_goals (self, confab_visitor_get_goals (visitor));
}

void
confab_visitor_contact_set_account (ConfabVisitorContact *self,
                                    ConfabAccount        *account)
{
  g_return_if_fail (CONFAB_IS_VISITOR_CONTACT (self));

  g_set_object (&self->account, account);
  confab_visitor_contact_set_visitor (self, NULL);
}

/* ----------------------------------------------------------- lifecycle --- */

static AdwEntryRow *
add_entry (ConfabVisitorContact *self,
           const char           *title,
           const char           *name,
           GtkInputPurpose       purpose)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
  adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), purpose);
  gtk_widget_set_name (row, name);
  g_signal_connect (row, "apply", G_CALLBACK (on_apply), self);
  adw_preferences_group_add (self->contact_group, row);
  return ADW_ENTRY_ROW (row);
}

static void
confab_visitor_contact_dispose (GObject *object)
{
  ConfabVisitorContact *self = CONFAB_VISITOR_CONTACT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  G_OBJECT_CLASS (confab_visitor_contact_parent_class)->dispose (object);
}

static void
confab_visitor_contact_finalize (GObject *object)
{
  ConfabVisitorContact *self = CONFAB_VISITOR_CONTACT (object);

  for (int i = 0; i < N_FIELDS; i++)
    g_free (self->shown[i]);
  g_free (self->notes_shown);
  g_free (self->visitor_id);
  g_free (self->site_id);
  g_ptr_array_unref (self->goal_rows);
  G_OBJECT_CLASS (confab_visitor_contact_parent_class)->finalize (object);
}

static void
confab_visitor_contact_class_init (ConfabVisitorContactClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_visitor_contact_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_visitor_contact_finalize;
}

static void
confab_visitor_contact_init (ConfabVisitorContact *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *score_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *notes_card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *save_content = adw_button_content_new ();

  self->goal_rows = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();

  self->contact_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->contact_group, _("Contact"));
  gtk_widget_set_name (GTK_WIDGET (self->contact_group), "contact-group");

  /* the score first: the reason to look at this visitor now */
  self->score_row = adw_action_row_new ();
  gtk_widget_set_name (self->score_row, "lead-score-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->score_row), _("Lead Score"));
  adw_action_row_set_icon_name (ADW_ACTION_ROW (self->score_row), "starred-symbolic");
  gtk_widget_set_tooltip_text (self->score_row,
                               _("From the pages seen, the time on the site, questions about "
                                 "prices, returning, a known e-mail and goals reached"));
  self->score_bar = GTK_LEVEL_BAR (gtk_level_bar_new_for_interval (0, 100));
  gtk_widget_set_size_request (GTK_WIDGET (self->score_bar), 80, -1);
  gtk_widget_set_valign (GTK_WIDGET (self->score_bar), GTK_ALIGN_CENTER);
  gtk_level_bar_add_offset_value (self->score_bar, "low", 30);
  gtk_level_bar_add_offset_value (self->score_bar, "high", 60);
  gtk_level_bar_add_offset_value (self->score_bar, "full", 100);
  self->score_label = GTK_LABEL (gtk_label_new ("0"));
  gtk_widget_set_name (GTK_WIDGET (self->score_label), "lead-score");
  gtk_label_set_width_chars (self->score_label, 3);
  gtk_label_set_xalign (self->score_label, 1);
  gtk_widget_add_css_class (GTK_WIDGET (self->score_label), "numeric");
  gtk_widget_add_css_class (GTK_WIDGET (self->score_label), "heading");
  gtk_box_append (GTK_BOX (score_box), GTK_WIDGET (self->score_bar));
  gtk_box_append (GTK_BOX (score_box), GTK_WIDGET (self->score_label));
  adw_action_row_add_suffix (ADW_ACTION_ROW (self->score_row), score_box);
  adw_preferences_group_add (self->contact_group, self->score_row);

  self->entries[FIELD_NAME] = add_entry (self, _("Name"), "contact-name", GTK_INPUT_PURPOSE_NAME);
  self->entries[FIELD_EMAIL] = add_entry (self, _("E-mail"), "contact-email", GTK_INPUT_PURPOSE_EMAIL);
  self->entries[FIELD_PHONE] = add_entry (self, _("Phone"), "contact-phone", GTK_INPUT_PURPOSE_PHONE);
  self->entries[FIELD_TAGS] = add_entry (self, _("Tags, comma-separated"), "contact-tags",
                                         GTK_INPUT_PURPOSE_FREE_FORM);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->contact_group));

  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (self->error_label), "contact-error");
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_xalign (self->error_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_label));

  self->notes_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->notes_group, _("Notes"));
  self->notes_save = gtk_button_new ();
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (save_content), "document-save-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (save_content), _("_Save"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (save_content), TRUE);
  gtk_button_set_child (GTK_BUTTON (self->notes_save), save_content);
  gtk_widget_set_name (self->notes_save, "contact-notes-save");
  gtk_widget_set_valign (self->notes_save, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->notes_save, "flat");
  gtk_widget_set_sensitive (self->notes_save, FALSE);
  gtk_widget_set_tooltip_text (self->notes_save, _("Save the Notes"));
  g_signal_connect_swapped (self->notes_save, "clicked", G_CALLBACK (on_notes_save), self);
  adw_preferences_group_set_header_suffix (self->notes_group, self->notes_save);
  self->notes_view = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_widget_set_name (GTK_WIDGET (self->notes_view), "contact-notes");
  gtk_text_view_set_wrap_mode (self->notes_view, GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (self->notes_view, FALSE);
  gtk_text_view_set_top_margin (self->notes_view, 8);
  gtk_text_view_set_bottom_margin (self->notes_view, 8);
  gtk_text_view_set_left_margin (self->notes_view, 8);
  gtk_text_view_set_right_margin (self->notes_view, 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->notes_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Notes"), -1);
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->notes_view), "changed",
                            G_CALLBACK (on_notes_changed), self);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->notes_view));
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 80);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 200);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  /* the card around the scroller, not on it: a scrolled window's own border is drawn under
   * its view */
  gtk_widget_add_css_class (notes_card, "card");
  gtk_widget_set_overflow (notes_card, GTK_OVERFLOW_HIDDEN);
  gtk_box_append (GTK_BOX (notes_card), scrolled);
  adw_preferences_group_add (self->notes_group, notes_card);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->notes_group));

  self->goals_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->goals_group, _("Goals"));
  gtk_widget_set_name (GTK_WIDGET (self->goals_group), "goals-group");
  gtk_widget_set_visible (GTK_WIDGET (self->goals_group), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->goals_group));

  adw_bin_set_child (ADW_BIN (self), box);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
