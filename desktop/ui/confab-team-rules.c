/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-team-rules.c: the Teams page's rules (see the header). The list shown is always the
 * relay's: a change builds a new list from it and PATCHes that; only the relay's answer (the
 * site) replaces what is shown. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-client-admin.h"
#include "confab-team-rules.h"

struct _ConfabTeamRules
{
  AdwPreferencesGroup  parent_instance;

  GtkWidget           *add_button;

  ConfabClient        *client;
  char                *site_id;
  GCancellable        *cancellable;
  JsonArray           *rules;      /* the relay's team_rules */
  JsonArray           *teams;
  JsonArray           *faqs;
  GPtrArray           *rows;
  gboolean             saving;     /* a list is on its way: moves wait for the answer */
};

G_DEFINE_FINAL_TYPE (ConfabTeamRules, confab_team_rules, ADW_TYPE_PREFERENCES_GROUP)

static void show_rules (ConfabTeamRules *self);
static void edit_rule (ConfabTeamRules *self, int index, JsonObject *rule, const char *error);

static JsonObject *
find_by (JsonArray  *array,
         const char *member,
         const char *value)
{
  for (guint i = 0; array != NULL && value != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (object != NULL && g_strcmp0 (confab_admin_string (object, member), value) == 0)
        return object;
    }
  return NULL;
}

static guint
n_rules (ConfabTeamRules *self)
{
  return self->rules != NULL ? json_array_get_length (self->rules) : 0;
}

/* ------------------------------------------------------------- saving --- */

typedef struct {
  ConfabTeamRules *self;
  int              index;  /* the rule the form edited (-1: a new one) */
  JsonObject      *rule;   /* the form's rule as typed, to show again after a refusal */
} Save;

static void
save_free (Save *save)
{
  g_object_unref (save->self);
  g_clear_pointer (&save->rule, json_object_unref);
  g_free (save);
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Save *save = user_data;
  ConfabTeamRules *self = save->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      save_free (save);
      return;
    }
  self->saving = FALSE;
  if (site != NULL)
    confab_team_rules_show_settings (self, confab_admin_object (site, "settings"));
  else if (save->rule != NULL)
    edit_rule (self, save->index, save->rule, error->message);
  else
    confab_admin_toast (GTK_WIDGET (self), error->message);
  show_rules (self);
  save_free (save);
}

/* Sends @rules (taken) as the site's whole team_rules. */
static void
save_rules (ConfabTeamRules *self,
            JsonArray       *rules,
            int              index,
            JsonObject      *rule)
{
  g_autoptr (JsonObject) body = NULL;
  g_autofree char *path = NULL;
  JsonObject *settings;
  Save *save;

  /* a form or confirmation answered after the page went away */
  if (self->client == NULL || self->site_id == NULL)
    {
      json_array_unref (rules);
      return;
    }
  body = json_object_new ();
  settings = json_object_new ();
  path = confab_admin_path ("sites", self->site_id, NULL);
  save = g_new0 (Save, 1);
  save->self = g_object_ref (self);
  save->index = index;
  save->rule = rule != NULL ? json_object_ref (rule) : NULL;
  json_object_set_array_member (settings, "team_rules", rules);
  json_object_set_object_member (body, "settings", settings);
  self->saving = TRUE;
  show_rules (self);
  /* the answer is the site: the list shows what the relay kept */
  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable, saved_cb, save);
}

/* --------------------------------------------------------------- form --- */

typedef struct {
  ConfabTeamRules *self;
  int              index;
  GtkDropDown     *team;
  GtkEntry        *url;
  GtkEntry        *language;
  GtkDropDown     *faq;
  GPtrArray       *team_keys;  /* the team choice's keys, in its order */
  GPtrArray       *faq_ids;    /* the topic choice's ids; NULL first: any topic */
} Form;

static void
form_free (gpointer data)
{
  Form *form = data;

  g_object_unref (form->self);
  g_ptr_array_unref (form->team_keys);
  g_ptr_array_unref (form->faq_ids);
  g_free (form);
}

static void
on_form_response (AdwMessageDialog *dialog,
                  const char       *response,
                  Form             *form)
{
  ConfabTeamRules *self = form->self;
  g_autoptr (JsonObject) rule = NULL;
  g_autofree char *url = NULL;
  g_autofree char *language = NULL;
  guint team = gtk_drop_down_get_selected (form->team);
  guint faq = gtk_drop_down_get_selected (form->faq);
  JsonArray *rules;

  if (!g_str_equal (response, "save") || team >= form->team_keys->len || self->site_id == NULL ||
      self->client == NULL)
    return;
  rule = json_object_new ();
  json_object_set_string_member (rule, "team", g_ptr_array_index (form->team_keys, team));
  url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (form->url))));
  language = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (form->language))));
  /* an empty condition is no condition: the member is left out */
  if (*url != '\0')
    json_object_set_string_member (rule, "url", url);
  if (*language != '\0')
    json_object_set_string_member (rule, "language", language);
  if (faq < form->faq_ids->len && g_ptr_array_index (form->faq_ids, faq) != NULL)
    json_object_set_string_member (rule, "faq_id", g_ptr_array_index (form->faq_ids, faq));

  /* the relay's list with the edited rule in its place, or the new one at the end */
  rules = json_array_new ();
  for (guint i = 0; i < n_rules (self); i++)
    if (form->index >= 0 && i == (guint) form->index)
      json_array_add_object_element (rules, json_object_ref (rule));
    else
      json_array_add_element (rules, json_node_copy (json_array_get_element (self->rules, i)));
  if (form->index < 0 || (guint) form->index >= n_rules (self))
    json_array_add_object_element (rules, json_object_ref (rule));
  save_rules (self, rules, form->index, rule);
}

static GtkWidget *
form_label (GtkWidget  *box,
            const char *text,
            gboolean    first)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  if (!first)
    gtk_widget_set_margin_top (label, 6);
  gtk_box_append (GTK_BOX (box), label);
  return label;
}

static GtkEntry *
form_entry (GtkWidget  *box,
            const char *text,
            const char *placeholder,
            const char *value,
            const char *name)
{
  GtkWidget *label = form_label (box, text, FALSE);
  GtkWidget *entry = gtk_entry_new ();

  gtk_widget_set_name (entry, name);
  gtk_editable_set_text (GTK_EDITABLE (entry), value != NULL ? value : "");
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), entry);
  gtk_box_append (GTK_BOX (box), entry);
  return GTK_ENTRY (entry);
}

static GtkDropDown *
form_drop_down (GtkWidget     *box,
                const char    *text,
                GtkStringList *items,
                guint          selected,
                const char    *name,
                gboolean       first)
{
  GtkWidget *label = form_label (box, text, first);
  GtkWidget *drop_down = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (items)), NULL);

  gtk_widget_set_name (drop_down, name);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (drop_down), selected);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), drop_down);
  gtk_box_append (GTK_BOX (box), drop_down);
  return GTK_DROP_DOWN (drop_down);
}

/* The form for rule @index (-1: a new one) showing @rule (NULL: empty) and the relay's @error
 * (NULL: none). */
static void
edit_rule (ConfabTeamRules *self,
           int              index,
           JsonObject      *rule,
           const char      *error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              index >= 0 ? _("Edit Rule") : _("New Rule"), error);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  g_autoptr (GtkStringList) teams = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) topics = gtk_string_list_new (NULL);
  const char *team_key = rule != NULL ? confab_admin_string (rule, "team") : NULL;
  const char *faq_id = rule != NULL ? confab_admin_string (rule, "faq_id") : NULL;
  guint team_selected = 0, faq_selected = 0;
  Form *form = g_new0 (Form, 1);

  form->self = g_object_ref (self);
  form->index = index;
  form->team_keys = g_ptr_array_new_with_free_func (g_free);
  form->faq_ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; self->teams != NULL && i < json_array_get_length (self->teams); i++)
    {
      JsonObject *team = json_array_get_object_element (self->teams, i);
      const char *key = team != NULL ? confab_admin_string (team, "key") : NULL;

      if (key == NULL)
        continue;
      if (g_strcmp0 (key, team_key) == 0)
        team_selected = form->team_keys->len;
      gtk_string_list_append (teams, confab_admin_string (team, "name"));
      g_ptr_array_add (form->team_keys, g_strdup (key));
    }
  /* a deleted team's rule keeps its key until another is chosen */
  if (team_key != NULL && find_by (self->teams, "key", team_key) == NULL)
    {
      team_selected = form->team_keys->len;
      gtk_string_list_append (teams, team_key);
      g_ptr_array_add (form->team_keys, g_strdup (team_key));
    }
  gtk_string_list_append (topics, _("Any topic"));
  g_ptr_array_add (form->faq_ids, NULL);
  for (guint i = 0; self->faqs != NULL && i < json_array_get_length (self->faqs); i++)
    {
      JsonObject *faq = json_array_get_object_element (self->faqs, i);
      const char *id = faq != NULL ? confab_admin_string (faq, "id") : NULL;

      if (id == NULL)
        continue;
      if (g_strcmp0 (id, faq_id) == 0)
        faq_selected = form->faq_ids->len;
      gtk_string_list_append (topics, confab_admin_string (faq, "question"));
      g_ptr_array_add (form->faq_ids, g_strdup (id));
    }
  if (faq_id != NULL && find_by (self->faqs, "id", faq_id) == NULL)
    {
      faq_selected = form->faq_ids->len;
      gtk_string_list_append (topics, _("A deleted FAQ"));
      g_ptr_array_add (form->faq_ids, g_strdup (faq_id));
    }

  gtk_widget_set_name (dialog, "team-rule-dialog");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  gtk_widget_set_size_request (box, 380, -1);
  form->team = form_drop_down (box, _("_Team"), teams, team_selected, "rule-team", TRUE);
  form->url = form_entry (box, _("_Page address"), _("https://shop.example/billing/*"),
                          rule != NULL ? confab_admin_string (rule, "url") : NULL, "rule-url");
  form->language = form_entry (box, _("Visitor’s _language"), _("de"),
                               rule != NULL ? confab_admin_string (rule, "language") : NULL,
                               "rule-language");
  form->faq = form_drop_down (box, _("FAQ _topic"), topics, faq_selected, "rule-faq", FALSE);
  {
    GtkWidget *hint = gtk_label_new (_("Empty conditions match everything; * in the address "
                                       "matches any text."));

    gtk_label_set_wrap (GTK_LABEL (hint), TRUE);
    gtk_label_set_xalign (GTK_LABEL (hint), 0);
    gtk_widget_add_css_class (hint, "dim-label");
    gtk_widget_add_css_class (hint, "caption");
    gtk_box_append (GTK_BOX (box), hint);
  }
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "save", form->team_keys->len > 0);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_form_response), form,
                         (GClosureNotify) (void (*) (void)) form_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (GTK_WIDGET (form->team));
}

/* ------------------------------------------------------------ actions --- */

/* The rule an action's target names, or -1. */
static int
target_index (ConfabTeamRules *self,
              GVariant        *parameter)
{
  guint64 index = 0;

  if (!g_ascii_string_to_unsigned (g_variant_get_string (parameter, NULL), 10, 0, G_MAXINT, &index, NULL) ||
      index >= n_rules (self))
    return -1;
  return (int) index;
}

static void
add_action (GtkWidget  *widget,
            const char *name,
            GVariant   *parameter)
{
  edit_rule (CONFAB_TEAM_RULES (widget), -1, NULL, NULL);
}

static void
edit_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  ConfabTeamRules *self = CONFAB_TEAM_RULES (widget);
  int index = target_index (self, parameter);

  if (index >= 0)
    edit_rule (self, index, json_array_get_object_element (self->rules, index), NULL);
}

/* Rule @index changes places with the one above (@by -1) or below (1). */
static void
move (ConfabTeamRules *self,
      int              index,
      int              by)
{
  int other = index + by;
  JsonArray *rules;

  if (index < 0 || (guint) index >= n_rules (self) || other < 0 || (guint) other >= n_rules (self) ||
      self->saving)
    return;
  rules = json_array_new ();
  for (guint i = 0; i < n_rules (self); i++)
    {
      guint from = i == (guint) index ? (guint) other : i == (guint) other ? (guint) index : i;

      json_array_add_element (rules, json_node_copy (json_array_get_element (self->rules, from)));
    }
  save_rules (self, rules, -1, NULL);
}

typedef struct {
  ConfabTeamRules *self;
  int              index;
} Delete;

static void
delete_free (gpointer data)
{
  Delete *delete = data;

  g_object_unref (delete->self);
  g_free (delete);
}

static void
do_delete (gpointer data)
{
  Delete *delete = data;
  ConfabTeamRules *self = delete->self;
  JsonArray *rules;

  if (delete->index < 0 || (guint) delete->index >= n_rules (self))
    return;
  rules = json_array_new ();
  for (guint i = 0; i < n_rules (self); i++)
    if (i != (guint) delete->index)
      json_array_add_element (rules, json_node_copy (json_array_get_element (self->rules, i)));
  save_rules (self, rules, -1, NULL);
}

static void
delete_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabTeamRules *self = CONFAB_TEAM_RULES (widget);
  int index = target_index (self, parameter);
  Delete *delete;

  if (index < 0)
    return;
  delete = g_new0 (Delete, 1);
  delete->self = g_object_ref (self);
  delete->index = index;
  confab_admin_confirm (widget, _("Delete the Rule?"),
                        _("New conversations it matched go on to the next rule."),
                        _("_Delete"), do_delete, delete, delete_free);
}

/* --------------------------------------------------------------- rows --- */

/* "Pages … · Language … · Topic …", or what a rule without conditions does. */
static char *
rule_subtitle (ConfabTeamRules *self,
               JsonObject      *rule,
               gboolean         known_team)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  const char *url = confab_admin_string (rule, "url");
  const char *language = confab_admin_string (rule, "language");
  const char *faq_id = confab_admin_string (rule, "faq_id");

  if (!known_team)
    g_ptr_array_add (parts, g_strdup (_("No such team: it never matches")));
  if (url != NULL)
    /* Translators: the page address pattern of a routing rule */
    g_ptr_array_add (parts, g_strdup_printf (_("Pages %s"), url));
  if (language != NULL)
    /* Translators: a visitor's language tag in a routing rule */
    g_ptr_array_add (parts, g_strdup_printf (_("Language %s"), language));
  if (faq_id != NULL)
    {
      JsonObject *faq = find_by (self->faqs, "id", faq_id);

      if (faq != NULL)
        /* Translators: the FAQ question a routing rule matches */
        g_ptr_array_add (parts, g_strdup_printf (_("Topic “%s”"), confab_admin_string (faq, "question")));
      else
        g_ptr_array_add (parts, g_strdup (_("A deleted FAQ")));
    }
  if (url == NULL && language == NULL && faq_id == NULL)
    g_ptr_array_add (parts, g_strdup (_("Every conversation that reaches it")));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void
on_move_clicked (GtkButton       *button,
                 ConfabTeamRules *self)
{
  move (self, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "rule-index")),
        GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "rule-by")));
}

/* Not an action button: its sensitivity is its own (the first rule cannot go up), where an
 * action's would follow the action. */
static GtkWidget *
move_button (ConfabTeamRules *self,
             guint            index,
             int              by,
             gboolean         sensitive)
{
  const char *tooltip = by < 0 ? _("Move Up") : _("Move Down");
  GtkWidget *button = gtk_button_new_from_icon_name (by < 0 ? "go-up-symbolic" : "go-down-symbolic");

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_name (button, by < 0 ? "team-rule-up" : "team-rule-down");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_set_sensitive (button, sensitive);
  g_object_set_data (G_OBJECT (button), "rule-index", GUINT_TO_POINTER (index));
  g_object_set_data (G_OBJECT (button), "rule-by", GINT_TO_POINTER (by));
  g_signal_connect (button, "clicked", G_CALLBACK (on_move_clicked), self);
  return button;
}

static GtkWidget *
rule_row (ConfabTeamRules *self,
          guint            index,
          JsonObject      *rule)
{
  const char *key = confab_admin_string (rule, "team");
  JsonObject *team = find_by (self->teams, "key", key);
  g_autofree char *title = confab_admin_markup (team != NULL ? confab_admin_string (team, "name") : key);
  g_autofree char *plain = rule_subtitle (self, rule, team != NULL);
  g_autofree char *subtitle = confab_admin_markup (plain);
  g_autofree char *name = g_strdup_printf ("team-rule-%u", index);
  g_autofree char *target = g_strdup_printf ("%u", index);
  g_autofree char *number = g_strdup_printf ("%u", index + 1);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *position = gtk_label_new (number);
  GtkWidget *up = move_button (self, index, -1, index > 0 && !self->saving);
  GtkWidget *down = move_button (self, index, 1, index + 1 < n_rules (self) && !self->saving);

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  /* the order is the point: the first match wins */
  gtk_widget_add_css_class (position, "dim-label");
  gtk_widget_add_css_class (position, "numeric");
  gtk_widget_set_size_request (position, 24, -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), position);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), up);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), down);
  /* as the teams' rows have them: delete, then edit */
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             confab_admin_row_button ("user-trash-symbolic", _("Delete"), "rules.delete",
                                                      target, "team-rule-delete"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             confab_admin_row_button ("document-edit-symbolic", _("Edit"), "rules.edit",
                                                      target, "team-rule-edit"));
  return row;
}

static void
show_rules (ConfabTeamRules *self)
{
  guint n = n_rules (self);
  gboolean any_team = self->teams != NULL && json_array_get_length (self->teams) > 0;

  confab_admin_group_clear (ADW_PREFERENCES_GROUP (self), self->rows);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *rule = json_array_get_object_element (self->rules, i);

      if (rule != NULL)
        confab_admin_group_add (ADW_PREFERENCES_GROUP (self), self->rows, rule_row (self, i, rule));
    }
  /* the relay takes at most 50 */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "rules.add", any_team && n < 50 && !self->saving);
  if (!any_team)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self),
                                           _("Add a team first: a rule gives a new conversation "
                                             "its team."));
  else if (n == 0)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self),
                                           _("None yet. A rule gives a new conversation a team by "
                                             "its page, the visitor’s language or its FAQ topic, "
                                             "when the visitor chose none."));
  else
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self),
                                           _("The first rule that matches gives a new conversation "
                                             "its team, when the visitor chose none."));
}

/* --------------------------------------------------------------- FAQs --- */

static void
faqs_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (ConfabTeamRules) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  JsonNode *faqs = answer != NULL ? json_object_get_member (answer, "faqs") : NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* without them a rule's topic shows as deleted and the form offers none: say why */
  if (answer == NULL)
    confab_admin_toast (GTK_WIDGET (self), error->message);
  g_clear_pointer (&self->faqs, json_array_unref);
  if (faqs != NULL && JSON_NODE_HOLDS_ARRAY (faqs))
    self->faqs = json_array_ref (json_node_get_array (faqs));
  show_rules (self);
}

void
confab_team_rules_reload (ConfabTeamRules *self)
{
  g_autofree char *path = NULL;

  g_return_if_fail (CONFAB_IS_TEAM_RULES (self));

  if (self->site_id == NULL)
    return;
  path = confab_admin_path ("sites", self->site_id, "faqs");
  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, faqs_cb,
                               g_object_ref (self));
}

/* ------------------------------------------------------------- pushed --- */

/* Another admin's change (or this one's, again): the relay's `site` frame. */
static void
on_site_updated (ConfabClient    *client,
                 const char      *site_id,
                 JsonObject      *site,
                 ConfabTeamRules *self)
{
  JsonObject *settings = site != NULL ? confab_admin_object (site, "settings") : NULL;

  if (g_strcmp0 (site_id, self->site_id) == 0 && settings != NULL)
    confab_team_rules_show_settings (self, settings);
}

/* The topics' questions as they are now (a `faqs` frame). */
static void
on_faqs_changed (ConfabClient    *client,
                 const char      *site_id,
                 JsonArray       *faqs,
                 ConfabTeamRules *self)
{
  if (g_strcmp0 (site_id, self->site_id) != 0 || faqs == NULL)
    return;
  json_array_ref (faqs);
  g_clear_pointer (&self->faqs, json_array_unref);
  self->faqs = faqs;
  show_rules (self);
}

/* ----------------------------------------------------------------- API --- */

void
confab_team_rules_set_site_id (ConfabTeamRules *self,
                               const char      *site_id)
{
  g_return_if_fail (CONFAB_IS_TEAM_RULES (self));

  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->saving = FALSE;
  g_clear_pointer (&self->rules, json_array_unref);
  g_clear_pointer (&self->faqs, json_array_unref);
  show_rules (self);
}

void
confab_team_rules_set_teams (ConfabTeamRules *self,
                             JsonArray       *teams)
{
  g_return_if_fail (CONFAB_IS_TEAM_RULES (self));

  if (teams != NULL)
    json_array_ref (teams);
  g_clear_pointer (&self->teams, json_array_unref);
  self->teams = teams;
  show_rules (self);
}

void
confab_team_rules_show_settings (ConfabTeamRules *self,
                                 JsonObject      *settings)
{
  JsonNode *rules;

  g_return_if_fail (CONFAB_IS_TEAM_RULES (self));

  rules = settings != NULL ? json_object_get_member (settings, "team_rules") : NULL;
  g_clear_pointer (&self->rules, json_array_unref);
  if (rules != NULL && JSON_NODE_HOLDS_ARRAY (rules))
    self->rules = json_array_ref (json_node_get_array (rules));
  show_rules (self);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_team_rules_dispose (GObject *object)
{
  ConfabTeamRules *self = CONFAB_TEAM_RULES (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (confab_team_rules_parent_class)->dispose (object);
}

static void
confab_team_rules_finalize (GObject *object)
{
  ConfabTeamRules *self = CONFAB_TEAM_RULES (object);

  g_free (self->site_id);
  g_clear_pointer (&self->rules, json_array_unref);
  g_clear_pointer (&self->teams, json_array_unref);
  g_clear_pointer (&self->faqs, json_array_unref);
  g_ptr_array_unref (self->rows);
  G_OBJECT_CLASS (confab_team_rules_parent_class)->finalize (object);
}

static void
confab_team_rules_class_init (ConfabTeamRulesClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_team_rules_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_team_rules_finalize;
  gtk_widget_class_install_action (widget_class, "rules.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "rules.edit", "s", edit_action);
  gtk_widget_class_install_action (widget_class, "rules.delete", "s", delete_action);
}

static void
confab_team_rules_init (ConfabTeamRules *self)
{
  GtkWidget *content = adw_button_content_new ();

  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
  gtk_widget_set_name (GTK_WIDGET (self), "team-rules-group");
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), _("Rules"));
  self->add_button = gtk_button_new ();
  gtk_widget_set_name (self->add_button, "team-rules-add-button");
  gtk_widget_set_valign (self->add_button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (self->add_button, _("Add a Rule"));
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _("Add _Rule"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (self->add_button), content);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->add_button), "rules.add");
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (self), self->add_button);
  show_rules (self);
}

GtkWidget *
confab_team_rules_new (ConfabClient *client)
{
  ConfabTeamRules *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_TEAM_RULES, NULL);
  self->client = g_object_ref (client);
  g_signal_connect_object (client, "site-updated", G_CALLBACK (on_site_updated), self, 0);
  g_signal_connect_object (client, "faqs-changed", G_CALLBACK (on_faqs_changed), self, 0);
  return GTK_WIDGET (self);
}
