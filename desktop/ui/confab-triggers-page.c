/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-triggers-page.c: the triggers of one site (see the header). Members may read them,
 * owners and admins change them; every change is pushed to the site's agents as a `triggers`
 * frame, which redraws the list here. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-list.h"
#include "confab-admin-util.h"
#include "confab-client-admin.h"
#include "confab-client-engage.h"
#include "confab-client-http.h"
#include "confab-client-team.h"
#include "confab-triggers-page.h"

/* the relay's limits (docs/http-api.md, Triggers) */
#define MAX_NAME        80
#define MAX_MESSAGE     1000
#define MAX_SECONDS     3600
#define MAX_PAGE_VIEWS  100

struct _ConfabTriggersPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *triggers_group;
  GtkWidget           *add_button;

  ConfabClient        *client;
  char                *site_id;
  gboolean             may_write;
  gboolean             unsupported;  /* the relay has no triggers */
  GCancellable        *cancellable;
  ConfabAdminList      list;
  JsonArray           *members;      /* the site's agents, for the sender */
};

G_DEFINE_FINAL_TYPE (ConfabTriggersPage, confab_triggers_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void load (ConfabTriggersPage *self);

/* ------------------------------------------------------------- helpers --- */

static JsonNode *
member_node (JsonObject *object,
             const char *member)
{
  return object != NULL ? json_object_get_member (object, member) : NULL;
}

static gint64
member_int (JsonObject *object,
            const char *member)
{
  JsonNode *node = member_node (object, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         (json_node_get_value_type (node) == G_TYPE_INT64 ||
          json_node_get_value_type (node) == G_TYPE_DOUBLE) ? json_node_get_int (node) : 0;
}

/* TRUE / FALSE, or -1 for null and absent. */
static int
member_tristate (JsonObject *object,
                 const char *member)
{
  JsonNode *node = member_node (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return -1;
  return json_node_get_boolean (node);
}

/* A message is a text, or per language {"en": …, "de": …}: the site's default first. */
static const char *
message_text (JsonObject *trigger)
{
  JsonNode *node = member_node (trigger, "message");

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *texts = json_node_get_object (node);
      g_autoptr (GList) members = json_object_get_members (texts);

      if (confab_admin_string (texts, "en") != NULL)
        return confab_admin_string (texts, "en");
      return members != NULL ? confab_admin_string (texts, members->data) : NULL;
    }
  return confab_admin_string (trigger, "message");
}

static const char *
member_name (JsonObject *member)
{
  const char *name = confab_admin_string (member, "name");

  return name != NULL && *name != '\0' ? name : confab_admin_string (member, "email");
}

static JsonObject *
find_member (ConfabTriggersPage *self,
             const char         *user_id)
{
  for (guint i = 0; self->members != NULL && i < json_array_get_length (self->members); i++)
    {
      JsonObject *member = json_array_get_object_element (self->members, i);

      if (g_strcmp0 (confab_admin_string (member, "id"), user_id) == 0)
        return member;
    }
  return NULL;
}

/* "After 30 s on /pricing* · from *google* · returning · 3rd view" */
static char *
describe (ConfabTriggersPage *self,
          JsonObject         *trigger)
{
  JsonObject *conditions = confab_admin_object (trigger, "conditions");
  JsonObject *sender = confab_admin_object (trigger, "sender");
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  const char *url = confab_admin_string (conditions, "url");
  const char *referrer = confab_admin_string (conditions, "referrer");
  gint64 seconds = member_int (conditions, "seconds_on_page");
  gint64 views = member_int (conditions, "page_views");
  int returning = member_tristate (conditions, "returning");

  if (url != NULL && *url != '\0')
    /* Translators: %d seconds, %s a URL pattern */
    g_ptr_array_add (parts, g_strdup_printf (_("After %d s on %s"), (int) seconds, url));
  else
    g_ptr_array_add (parts, g_strdup_printf (_("After %d s on any page"), (int) seconds));
  if (referrer != NULL && *referrer != '\0')
    /* Translators: %s is a referrer pattern */
    g_ptr_array_add (parts, g_strdup_printf (_("from %s"), referrer));
  if (returning == TRUE)
    g_ptr_array_add (parts, g_strdup (_("returning")));
  else if (returning == FALSE)
    g_ptr_array_add (parts, g_strdup (_("first visit")));
  if (views > 0)
    /* Translators: %d is k in "the k-th view of a matching page" */
    g_ptr_array_add (parts, g_strdup_printf (_("view %d"), (int) views));
  if (g_strcmp0 (confab_admin_string (sender, "type"), "assistant") == 0)
    g_ptr_array_add (parts, g_strdup (_("by the assistant")));
  else if (sender != NULL)
    {
      JsonObject *member = find_member (self, confab_admin_string (sender, "agent_id"));

      /* Translators: %s is an agent's name */
      g_ptr_array_add (parts, g_strdup_printf (_("by %s"), member != NULL ? member_name (member)
                                                                          : _("an agent")));
    }
  if (member_tristate (trigger, "ask_email") == TRUE)
    g_ptr_array_add (parts, g_strdup (_("asks for an e-mail")));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

/* -------------------------------------------------------------- write --- */

typedef struct {
  ConfabTriggersPage *self;
  char               *id;     /* NULL: a new one */
  JsonObject         *form;   /* what was typed, to show again after a refusal */
} Save;

static void
save_free (gpointer data)
{
  Save *save = data;

  g_object_unref (save->self);
  g_free (save->id);
  g_clear_pointer (&save->form, json_object_unref);
  g_free (save);
}

static Save *
save_new (ConfabTriggersPage *self,
          const char         *id)
{
  Save *save = g_new0 (Save, 1);

  save->self = g_object_ref (self);
  save->id = g_strdup (id);
  return save;
}

static void edit (ConfabTriggersPage *self, const char *id, const char *error, JsonObject *form);

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Save *save = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result,
                                                                NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (error != NULL && save->form != NULL)
        /* the form again, as it was typed, with the relay's reason */
        edit (save->self, save->id, error->message, save->form);
      else if (error != NULL)
        confab_admin_toast (GTK_WIDGET (save->self), error->message);
      load (save->self);
    }
  save_free (save);
}

/* ------------------------------------------------------------- editor --- */

typedef struct {
  ConfabTriggersPage *self;
  char               *id;
  JsonObject         *original;   /* the trigger as it was (NULL: new) */
  GtkWidget          *name;
  GtkWidget          *url;
  GtkWidget          *seconds;
  GtkWidget          *referrer;
  GtkWidget          *returning;  /* GtkDropDown: any, first visit, returning */
  GtkWidget          *page_views;
  GtkWidget          *message;    /* GtkTextView */
  GtkWidget          *sender;     /* GtkDropDown: the assistant, then the agents */
  GPtrArray          *sender_ids; /* of the sender's rows after the first; NULL: the assistant */
  GtkWidget          *ask_email;
  GtkWidget          *enabled;
} Editor;

static void
editor_free (gpointer  data,
             GClosure *closure)
{
  Editor *editor = data;

  g_object_unref (editor->self);
  g_free (editor->id);
  g_clear_pointer (&editor->original, json_object_unref);
  g_ptr_array_unref (editor->sender_ids);
  g_free (editor);
}

static char *
text_of (GtkWidget *widget)
{
  if (GTK_IS_TEXT_VIEW (widget))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget));
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      return g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
    }
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (widget))));
}

static void
set_string_or_null (JsonObject *object,
                    const char *member,
                    const char *text)
{
  if (text != NULL && *text != '\0')
    json_object_set_string_member (object, member, text);
  else
    json_object_set_null_member (object, member);
}

/* The trigger's JSON from the form (docs/http-api.md's shape). */
static JsonObject *
editor_body (Editor *editor)
{
  JsonObject *body = json_object_new ();
  JsonObject *conditions = json_object_new ();
  JsonObject *sender = json_object_new ();
  g_autofree char *name = text_of (editor->name);
  g_autofree char *url = text_of (editor->url);
  g_autofree char *referrer = text_of (editor->referrer);
  g_autofree char *message = text_of (editor->message);
  guint returning = gtk_drop_down_get_selected (GTK_DROP_DOWN (editor->returning));
  guint who = gtk_drop_down_get_selected (GTK_DROP_DOWN (editor->sender));
  int views = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (editor->page_views));
  const char *original_text = editor->original != NULL ? message_text (editor->original) : NULL;
  JsonNode *original_message = member_node (editor->original, "message");

  json_object_set_string_member (body, "name", name);
  json_object_set_boolean_member (body, "enabled",
                                  gtk_check_button_get_active (GTK_CHECK_BUTTON (editor->enabled)));
  set_string_or_null (conditions, "url", url);
  json_object_set_int_member (conditions, "seconds_on_page",
                              gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (editor->seconds)));
  set_string_or_null (conditions, "referrer", referrer);
  if (returning == 0)
    json_object_set_null_member (conditions, "returning");
  else
    json_object_set_boolean_member (conditions, "returning", returning == 2);
  if (views > 0)
    json_object_set_int_member (conditions, "page_views", views);
  else
    json_object_set_null_member (conditions, "page_views");
  json_object_set_object_member (body, "conditions", conditions);
  /* a message in several languages, not touched here: it stays as it is */
  if (original_message != NULL && JSON_NODE_HOLDS_OBJECT (original_message) &&
      g_strcmp0 (original_text, message) == 0)
    json_object_set_member (body, "message", json_node_copy (original_message));
  else
    json_object_set_string_member (body, "message", message);
  if (who == 0 || who - 1 >= editor->sender_ids->len)
    json_object_set_string_member (sender, "type", "assistant");
  else
    {
      json_object_set_string_member (sender, "type", "agent");
      json_object_set_string_member (sender, "agent_id", editor->sender_ids->pdata[who - 1]);
    }
  json_object_set_object_member (body, "sender", sender);
  json_object_set_boolean_member (body, "ask_email",
                                  gtk_check_button_get_active (GTK_CHECK_BUTTON (editor->ask_email)));
  return body;
}

static void
editor_update (AdwMessageDialog *dialog)
{
  Editor *editor = g_object_get_data (G_OBJECT (dialog), "confab-trigger-editor");
  g_autofree char *name = text_of (editor->name);
  g_autofree char *message = text_of (editor->message);

  adw_message_dialog_set_response_enabled (dialog, "save", *name != '\0' && *message != '\0' &&
                                           g_utf8_strlen (name, -1) <= MAX_NAME &&
                                           g_utf8_strlen (message, -1) <= MAX_MESSAGE);
}

static void
on_editor_response (AdwMessageDialog *dialog,
                    const char       *response,
                    Editor           *editor)
{
  ConfabTriggersPage *self = editor->self;
  Save *save;
  g_autoptr (JsonObject) body = NULL;
  g_autofree char *path = NULL;

  if (!g_str_equal (response, "save"))
    return;
  body = editor_body (editor);
  save = save_new (self, editor->id);
  save->form = json_object_ref (body);
  path = editor->id != NULL ? confab_admin_path ("triggers", editor->id, NULL)
                            : confab_admin_path ("sites", self->site_id, "triggers");
  confab_client_request_async (self->client, editor->id != NULL ? "PATCH" : "POST", path, body,
                               self->cancellable, saved_cb, save);
}

static GtkWidget *
add_labelled (GtkWidget  *box,
              const char *label_text,
              GtkWidget  *input,
              const char *name)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (label_text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_margin_top (label, 6);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), input);
  gtk_widget_set_name (input, name);
  gtk_box_append (GTK_BOX (box), label);
  return input;
}

static GtkWidget *
add_entry (GtkWidget        *box,
           const char       *label,
           const char       *placeholder,
           const char       *value,
           const char       *name,
           AdwMessageDialog *dialog)
{
  GtkWidget *entry = add_labelled (box, label, gtk_entry_new (), name);

  gtk_editable_set_text (GTK_EDITABLE (entry), value != NULL ? value : "");
  if (placeholder != NULL)
    gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  g_signal_connect_object (entry, "changed", G_CALLBACK (editor_update), dialog, G_CONNECT_SWAPPED);
  gtk_box_append (GTK_BOX (box), entry);
  return entry;
}

static GtkWidget *
add_spin (GtkWidget  *box,
          const char *label,
          int         max,
          gint64      value,
          const char *name)
{
  GtkWidget *spin = add_labelled (box, label, gtk_spin_button_new_with_range (0, max, 1), name);

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), (double) CLAMP (value, 0, max));
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
  gtk_widget_set_halign (spin, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (box), spin);
  return spin;
}

/* Two columns of the editor's form. */
static GtkWidget *
pair_new (GtkWidget **left,
          GtkWidget **right)
{
  GtkWidget *pair = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);

  *left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_hexpand (*left, TRUE);
  gtk_widget_set_hexpand (*right, TRUE);
  gtk_box_set_homogeneous (GTK_BOX (pair), TRUE);
  gtk_box_append (GTK_BOX (pair), *left);
  gtk_box_append (GTK_BOX (pair), *right);
  return pair;
}

/* @form: what to show (a trigger, or what was typed before a refusal); NULL for a new one. */
static void
edit (ConfabTriggersPage *self,
      const char         *id,
      const char         *error,
      JsonObject         *form)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              id != NULL ? _("Edit Trigger") : _("New Trigger"),
                                              error);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *message_scroll = gtk_scrolled_window_new ();
  g_autoptr (GtkStringList) senders = gtk_string_list_new (NULL);
  JsonObject *conditions = confab_admin_object (form, "conditions");
  JsonObject *sender = confab_admin_object (form, "sender");
  JsonObject *original = id != NULL ? confab_admin_list_find (&self->list, id) : NULL;
  const char *returning_names[] = { _("Any visitor"), _("First visit only"),
                                    _("Returning visitors only"), NULL };
  const char *message = message_text (form);
  int returning = member_tristate (conditions, "returning");
  Editor *editor = g_new0 (Editor, 1);
  GtkWidget *left, *right;
  guint picked = 0;

  editor->self = g_object_ref (self);
  editor->id = g_strdup (id);
  editor->original = original != NULL ? json_object_ref (original) : NULL;
  editor->sender_ids = g_ptr_array_new_with_free_func (g_free);
  g_object_set_data (G_OBJECT (dialog), "confab-trigger-editor", editor);
  gtk_widget_set_name (dialog, "trigger-dialog");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  gtk_widget_set_size_request (box, 400, -1);
  gtk_widget_set_margin_end (box, 12);

  editor->name = add_entry (box, _("_Name"), _("Pricing page help"),
                            confab_admin_string (form, "name"), "trigger-name",
                            ADW_MESSAGE_DIALOG (dialog));
  editor->url = add_entry (box, _("Page _URL pattern (empty: any page)"), _("/pricing*"),
                           confab_admin_string (conditions, "url"), "trigger-url",
                           ADW_MESSAGE_DIALOG (dialog));
  /* the short ones side by side: the editor fits a laptop's screen */
  gtk_box_append (GTK_BOX (box), pair_new (&left, &right));
  editor->seconds = add_spin (left, _("_Seconds on the page"), MAX_SECONDS,
                              form != NULL ? member_int (conditions, "seconds_on_page") : 30,
                              "trigger-seconds");
  editor->page_views = add_spin (right, _("On the page’s _view number (0: any)"), MAX_PAGE_VIEWS,
                                 member_int (conditions, "page_views"), "trigger-page-views");
  editor->referrer = add_entry (box, _("_Referrer pattern (empty: any)"), _("*google.*"),
                                confab_admin_string (conditions, "referrer"), "trigger-referrer",
                                ADW_MESSAGE_DIALOG (dialog));
  gtk_box_append (GTK_BOX (box), pair_new (&left, &right));
  editor->returning = add_labelled (left, _("_Visitors"),
                                    gtk_drop_down_new_from_strings (returning_names),
                                    "trigger-returning");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (editor->returning),
                              returning == -1 ? 0 : returning == FALSE ? 1 : 2);
  gtk_widget_set_halign (editor->returning, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (left), editor->returning);

  editor->message = add_labelled (box, _("_Message"), gtk_text_view_new (), "trigger-message");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (editor->message)),
                            message != NULL ? message : "", -1);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (editor->message), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (editor->message), FALSE);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (editor->message), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (editor->message), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (editor->message), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (editor->message), 6);
  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (editor->message)), "changed",
                           G_CALLBACK (editor_update), dialog, G_CONNECT_SWAPPED);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (message_scroll), editor->message);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (message_scroll), 80);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (message_scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_add_css_class (message_scroll, "card");
  gtk_box_append (GTK_BOX (box), message_scroll);

  gtk_string_list_append (senders, _("The assistant"));
  for (guint i = 0; self->members != NULL && i < json_array_get_length (self->members); i++)
    {
      JsonObject *member = json_array_get_object_element (self->members, i);
      const char *user_id = confab_admin_string (member, "id");

      if (user_id == NULL || member_tristate (member, "pending") == TRUE)
        continue;
      gtk_string_list_append (senders, member_name (member));
      g_ptr_array_add (editor->sender_ids, g_strdup (user_id));
      if (g_strcmp0 (confab_admin_string (sender, "agent_id"), user_id) == 0)
        picked = editor->sender_ids->len;
    }
  editor->sender = add_labelled (right, _("S_ent by"),
                                 gtk_drop_down_new (G_LIST_MODEL (g_object_ref (senders)), NULL),
                                 "trigger-sender");
  /* a new trigger is sent by its author (the first agent when they are not on the list) */
  if (sender == NULL && editor->sender_ids->len > 0)
    {
      picked = 1;
      for (guint i = 0; i < editor->sender_ids->len; i++)
        if (g_strcmp0 (editor->sender_ids->pdata[i], confab_client_get_user_id (self->client)) == 0)
          picked = i + 1;
    }
  gtk_drop_down_set_selected (GTK_DROP_DOWN (editor->sender), picked);
  gtk_widget_set_halign (editor->sender, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (right), editor->sender);

  editor->ask_email = gtk_check_button_new_with_mnemonic (_("As_k for an e-mail address"));
  gtk_widget_set_name (editor->ask_email, "trigger-ask-email");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (editor->ask_email),
                               member_tristate (form, "ask_email") == TRUE);
  gtk_box_append (GTK_BOX (box), pair_new (&left, &right));
  gtk_widget_set_margin_top (editor->ask_email, 6);
  gtk_box_append (GTK_BOX (left), editor->ask_email);
  editor->enabled = gtk_check_button_new_with_mnemonic (_("_Enabled"));
  gtk_widget_set_name (editor->enabled, "trigger-enabled");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (editor->enabled),
                               form == NULL || member_tristate (form, "enabled") != FALSE);
  gtk_widget_set_margin_top (editor->enabled, 6);
  gtk_box_append (GTK_BOX (right), editor->enabled);

  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 640);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_editor_response), editor,
                         editor_free, 0);
  editor_update (ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (editor->name);
}

static void
add_action (GtkWidget  *widget,
            const char *name,
            GVariant   *parameter)
{
  edit (CONFAB_TRIGGERS_PAGE (widget), NULL, NULL, NULL);
}

static void
edit_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  ConfabTriggersPage *self = CONFAB_TRIGGERS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  JsonObject *trigger = confab_admin_list_find (&self->list, id);

  if (trigger != NULL)
    edit (self, id, NULL, trigger);
}

static void
do_delete (gpointer data)
{
  Save *save = data;
  g_autofree char *path = confab_admin_path ("triggers", save->id, NULL);

  confab_client_request_async (save->self->client, "DELETE", path, NULL, save->self->cancellable,
                               saved_cb, save_new (save->self, save->id));
}

static void
delete_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabTriggersPage *self = CONFAB_TRIGGERS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  JsonObject *trigger = confab_admin_list_find (&self->list, id);
  /* Translators: %s is a trigger's name */
  g_autofree char *body = g_strdup_printf (_("Visitors are no longer greeted by “%s”."),
                                           trigger != NULL ? confab_admin_string (trigger, "name") : id);

  confab_admin_confirm (widget, _("Delete the Trigger?"), body, _("_Delete"), do_delete,
                        save_new (self, id), save_free);
}

/* The row's switch: only "enabled" changes, at once. */
static gboolean
on_enabled_set (GtkSwitch          *toggle,
                gboolean            state,
                ConfabTriggersPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (toggle), "trigger-id");
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = confab_admin_path ("triggers", id, NULL);

  json_object_set_boolean_member (body, "enabled", state);
  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable, saved_cb,
                               save_new (self, id));
  /* the switch moves; the relay's `triggers` frame (or the reload after a refusal) says last */
  return FALSE;
}

/* --------------------------------------------------------------- list --- */

static GtkWidget *
trigger_row (gpointer    page,
             JsonObject *trigger)
{
  ConfabTriggersPage *self = page;
  const char *id = confab_admin_string (trigger, "id");
  g_autofree char *title = confab_admin_markup (confab_admin_string (trigger, "name"));
  g_autofree char *summary = describe (self, trigger);
  g_autofree char *subtitle = confab_admin_markup (summary);
  g_autofree char *name = g_strdup_printf ("trigger-%s", confab_admin_string (trigger, "name"));
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  /* every condition, however many lines a narrow window makes of them: two cut the last ones
   * off behind "…" at 360 px */
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  gtk_widget_set_name (toggle, "trigger-enabled-switch");
  gtk_switch_set_active (GTK_SWITCH (toggle), member_tristate (trigger, "enabled") == TRUE);
  gtk_widget_set_sensitive (toggle, self->may_write);
  gtk_widget_set_tooltip_text (toggle, _("Greet visitors with it"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (toggle), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Enabled"), -1);
  g_object_set_data_full (G_OBJECT (toggle), "trigger-id", g_strdup (id), g_free);
  g_signal_connect_object (toggle, "state-set", G_CALLBACK (on_enabled_set), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  if (self->may_write)
    {
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("document-edit-symbolic", _("Edit"),
                                                          "triggers.edit", id, "trigger-edit"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("user-trash-symbolic", _("Delete"),
                                                          "triggers.delete", id, "trigger-delete"));
    }
  return row;
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (ConfabTriggersPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result,
                                                                &code, &error);
  JsonNode *list;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  list = answer != NULL ? json_object_get_member (answer, "triggers") : NULL;
  /* the site is there (the picker has it): a 404 is a relay that has no triggers yet */
  self->unsupported = g_strcmp0 (code, "not_found") == 0;
  gtk_widget_set_visible (self->add_button, self->may_write && !self->unsupported);
  if (self->unsupported)
    {
      confab_admin_list_clear (&self->list);
      adw_preferences_group_set_description (self->triggers_group,
                                             _("This relay has no triggers: it needs an update "
                                               "to greet visitors by itself."));
      return;
    }
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      /* Translators: %s is the relay's reason */
      g_autofree char *text = g_strdup_printf (_("The triggers could not be loaded: %s"),
                                               error != NULL ? error->message : _("no list"));

      adw_preferences_group_set_description (self->triggers_group, text);
      return;
    }
  confab_admin_list_show (&self->list, json_node_get_array (list));
}

static void
members_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (ConfabTriggersPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *list = answer != NULL ? json_object_get_member (answer, "members") : NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    return;
  g_clear_pointer (&self->members, json_array_unref);
  self->members = json_array_ref (json_node_get_array (list));
  /* the rows name the senders */
  if (self->list.items != NULL)
    confab_admin_list_show (&self->list, self->list.items);
}

static void
load (ConfabTriggersPage *self)
{
  g_autofree char *path = NULL;
  g_autofree char *members = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  path = confab_admin_path ("sites", self->site_id, "triggers");
  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, loaded_cb,
                               g_object_ref (self));
  members = confab_admin_path ("sites", self->site_id, "members");
  confab_client_get_json_async (self->client, members, self->cancellable, members_cb,
                                g_object_ref (self));
}

/* ------------------------------------------------------------- pushed --- */

static void
on_triggers_changed (ConfabClient       *client,
                     const char         *site_id,
                     JsonArray          *triggers,
                     ConfabTriggersPage *self)
{
  if (g_strcmp0 (site_id, self->site_id) == 0 && !self->unsupported)
    confab_admin_list_show (&self->list, triggers);
}

static void
on_state_changed (ConfabClient       *client,
                  GParamSpec         *pspec,
                  ConfabTriggersPage *self)
{
  /* back online: what changed meanwhile was pushed to nobody */
  if (confab_client_get_state (client) == CONFAB_CLIENT_ONLINE)
    load (self);
}

/* --------------------------------------------------------------- site --- */

static void
set_site_id (ConfabTriggersPage *self,
             const char         *site_id)
{
  g_autofree char *role = NULL;

  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  /* what was on its way for the last site is not for this one */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (site_id != NULL && self->client != NULL)
    role = confab_client_dup_site_role (self->client, site_id);
  self->may_write = g_strcmp0 (role, "owner") == 0 || g_strcmp0 (role, "admin") == 0;
  self->unsupported = FALSE;
  gtk_widget_set_visible (self->add_button, self->may_write);
  g_clear_pointer (&self->members, json_array_unref);
  confab_admin_list_clear (&self->list);
  load (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_triggers_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ConfabTriggersPage *self = CONFAB_TRIGGERS_PAGE (object);

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
confab_triggers_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ConfabTriggersPage *self = CONFAB_TRIGGERS_PAGE (object);

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
confab_triggers_page_dispose (GObject *object)
{
  ConfabTriggersPage *self = CONFAB_TRIGGERS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_TRIGGERS_PAGE);
  G_OBJECT_CLASS (confab_triggers_page_parent_class)->dispose (object);
}

static void
confab_triggers_page_finalize (GObject *object)
{
  ConfabTriggersPage *self = CONFAB_TRIGGERS_PAGE (object);

  g_free (self->site_id);
  g_clear_pointer (&self->members, json_array_unref);
  g_clear_pointer (&self->list.items, json_array_unref);
  g_ptr_array_unref (self->list.rows);
  G_OBJECT_CLASS (confab_triggers_page_parent_class)->finalize (object);
}

static void
confab_triggers_page_class_init (ConfabTriggersPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_triggers_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_triggers_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_triggers_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_triggers_page_set_property;

  /* the site the settings area's picker shows; NULL: none */
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-triggers-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabTriggersPage, triggers_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabTriggersPage, add_button);
  gtk_widget_class_install_action (widget_class, "triggers.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "triggers.edit", "s", edit_action);
  gtk_widget_class_install_action (widget_class, "triggers.delete", "s", delete_action);
}

static void
confab_triggers_page_init (ConfabTriggersPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->list = (ConfabAdminList) {
    .group = self->triggers_group,
    .member = "triggers",
    .empty_text = _("None yet. A trigger greets a visitor who meets its conditions, once a visit."),
    .filled_text = _("A trigger greets a visitor who meets its conditions, once a visit."),
    .failed_text = _("The triggers could not be loaded"),
    .make_row = trigger_row,
    .page = self,
  };
  confab_admin_list_init (&self->list);
}

GtkWidget *
confab_triggers_page_new (ConfabClient *client)
{
  ConfabTriggersPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_TRIGGERS_PAGE, NULL);
  self->client = g_object_ref (client);
  confab_client_ensure_engage_signals ();
  g_signal_connect (client, "triggers-changed", G_CALLBACK (on_triggers_changed), self);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state_changed), self);
  return GTK_WIDGET (self);
}
