/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-assistant-page.c: see the header.
 *
 * As the Sites page does, the page keeps the site object the relay last gave (GET, a PATCH's
 * answer, or a pushed "site" frame) and fills its rows from it. The setting is one object, and
 * a PATCH replaces a setting whole: every change sends all four fields, the changed one as typed
 * and the others as stored, so an edit never drops what another field holds. A refusal is a
 * toast and the rows show what is stored again. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-assistant-page.h"
#include "confab-client-admin.h"
#include "confab-client-chat.h"
#include "confab-json.h"

struct _ConfabAssistantPage
{
  AdwPreferencesPage   parent_instance;

  ConfabClient        *client;
  char                *site_id;
  JsonObject          *site;
  GCancellable        *cancellable;
  gboolean             filling;

  AdwPreferencesGroup *main_group;
  GtkLabel            *note;
  GtkWidget           *form;          /* the groups below the note */
  AdwPreferencesGroup *instructions_group;
  GtkSwitch           *enabled_switch;
  AdwEntryRow         *name_row;
  AdwEntryRow         *tone_row;
  GtkTextView         *instructions;
  GtkLabel            *counter;
  GtkWidget           *save_button;
};

G_DEFINE_FINAL_TYPE (ConfabAssistantPage, confab_assistant_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------ reading --- */

static JsonObject *
stored (ConfabAssistantPage *self)
{
  JsonObject *settings = self->site != NULL ? confab_admin_object (self->site, "settings") : NULL;

  return settings != NULL ? confab_admin_object (settings, "assistant") : NULL;
}

static const char *
stored_string (ConfabAssistantPage *self,
               const char          *key,
               const char          *fallback)
{
  const char *value = stored (self) != NULL ? confab_admin_string (stored (self), key) : NULL;

  return value != NULL ? value : fallback;
}

static gboolean
stored_enabled (ConfabAssistantPage *self)
{
  gboolean enabled = FALSE;

  if (stored (self) != NULL)
    confab_json_get_bool (stored (self), "enabled", FALSE, FALSE, &enabled, NULL);
  return enabled;
}

static char *
instructions_text (ConfabAssistantPage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->instructions);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* ------------------------------------------------------------ showing --- */

static void
set_entry (AdwEntryRow *row,
           const char  *text)
{
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (row)), text) == 0 ||
      (gtk_widget_get_state_flags (GTK_WIDGET (row)) & GTK_STATE_FLAG_FOCUS_WITHIN) != 0)
    return;
  adw_entry_row_set_show_apply_button (row, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  adw_entry_row_set_show_apply_button (row, TRUE);
}

static void
update_counter (ConfabAssistantPage *self)
{
  g_autofree char *text = instructions_text (self);
  glong n = g_utf8_strlen (text, -1);
  g_autofree char *count = g_strdup_printf (_("%ld / %d characters"), n,
                                            CONFAB_ASSISTANT_INSTRUCTIONS_MAX);
  g_autofree char *kept = NULL;

  gtk_label_set_text (self->counter, count);
  if (n > CONFAB_ASSISTANT_INSTRUCTIONS_MAX)
    gtk_widget_add_css_class (GTK_WIDGET (self->counter), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->counter), "error");
  kept = g_strdup (stored_string (self, "instructions", ""));
  gtk_widget_set_sensitive (self->save_button, self->site != NULL && g_strcmp0 (kept, text) != 0 &&
                                               n <= CONFAB_ASSISTANT_INSTRUCTIONS_MAX);
}

static void
fill (ConfabAssistantPage *self)
{
  JsonNode *available = self->site != NULL ? json_object_get_member (self->site, "assistant_available")
                                           : NULL;
  gboolean known = available != NULL && JSON_NODE_HOLDS_VALUE (available) &&
                   json_node_get_value_type (available) == G_TYPE_BOOLEAN;

  self->filling = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->main_group), self->site != NULL);
  gtk_widget_set_visible (self->form, self->site != NULL && known);
  gtk_widget_set_visible (GTK_WIDGET (self->instructions_group), self->site != NULL && known);
  if (self->site != NULL && !known)
    {
      gtk_label_set_text (self->note, _("This relay has no assistant: it is a version from before "
                                        "the assistant. Update the relay to use one."));
      gtk_widget_set_visible (GTK_WIDGET (self->note), TRUE);
    }
  else if (self->site != NULL && !json_node_get_boolean (available))
    {
      gtk_label_set_text (self->note, _("The relay has no assistant configured, so nothing here "
                                        "answers visitors yet. Its administrator sets the model's "
                                        "address in the relay's configuration ([assistant] url); "
                                        "what you set here is kept and used from then on."));
      gtk_widget_set_visible (GTK_WIDGET (self->note), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->note), FALSE);

  if (self->site != NULL)
    {
      g_autofree char *text = instructions_text (self);
      const char *kept = stored_string (self, "instructions", "");

      gtk_switch_set_active (self->enabled_switch, stored_enabled (self));
      set_entry (self->name_row, stored_string (self, "name", _("Assistant")));
      set_entry (self->tone_row, stored_string (self, "tone", ""));
      if (g_strcmp0 (text, kept) != 0 &&
          (gtk_widget_get_state_flags (GTK_WIDGET (self->instructions)) & GTK_STATE_FLAG_FOCUS_WITHIN) == 0)
        gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->instructions), kept, -1);
    }
  update_counter (self);
  self->filling = FALSE;
}

static void
set_site (ConfabAssistantPage *self,
          JsonObject          *site)
{
  g_clear_pointer (&self->site, json_object_unref);
  self->site = site != NULL ? json_object_ref (site) : NULL;
  fill (self);
}

/* ----------------------------------------------------------- patching --- */

typedef struct {
  ConfabAssistantPage *self;
  char                *site_id;
  char                *done;  /* a toast on success, or NULL */
} Change;

static void
patched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Change *change = user_data;
  ConfabAssistantPage *self = change->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL,
                                                              &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->client == NULL ||
      g_strcmp0 (change->site_id, self->site_id) != 0)
    ;
  else if (site == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Not saved: %s"), error->message);

      confab_admin_toast (GTK_WIDGET (self), text);
      fill (self);
    }
  else
    {
      g_autoptr (GError) cache_error = NULL;

      set_site (self, site);
      if (!confab_client_apply_site (self->client, site, &cache_error))
        g_warning ("The site list was not updated: %s", cache_error->message);
      if (change->done != NULL)
        confab_admin_toast (GTK_WIDGET (self), change->done);
    }
  g_object_unref (change->self);
  g_free (change->site_id);
  g_free (change->done);
  g_free (change);
}

/* PATCHes the whole setting: the stored fields with @key set to @value (a string, or the
 * boolean @enabled when @key is "enabled"). */
static void
patch (ConfabAssistantPage *self,
       const char          *key,
       const char          *value,
       gboolean             enabled,
       const char          *done)
{
  g_autoptr (JsonObject) body = json_object_new ();
  JsonObject *settings = json_object_new ();
  JsonObject *assistant = json_object_new ();
  g_autofree char *path = NULL;
  Change *change;

  if (self->filling || self->site == NULL || self->client == NULL)
    return;
  json_object_set_boolean_member (assistant, "enabled",
                                  g_str_equal (key, "enabled") ? enabled : stored_enabled (self));
  json_object_set_string_member (assistant, "name", g_str_equal (key, "name")
                                                    ? value : stored_string (self, "name", _("Assistant")));
  json_object_set_string_member (assistant, "tone", g_str_equal (key, "tone")
                                                    ? value : stored_string (self, "tone", ""));
  json_object_set_string_member (assistant, "instructions", g_str_equal (key, "instructions")
                                 ? value : stored_string (self, "instructions", ""));
  json_object_set_object_member (settings, "assistant", assistant);
  json_object_set_object_member (body, "settings", settings);
  change = g_new0 (Change, 1);
  change->self = g_object_ref (self);
  change->site_id = g_strdup (self->site_id);
  change->done = g_strdup (done);
  path = confab_admin_path ("sites", self->site_id, NULL);
  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable, patched_cb, change);
}

static void
on_enabled (ConfabAssistantPage *self)
{
  patch (self, "enabled", NULL, gtk_switch_get_active (self->enabled_switch), NULL);
}

static void
on_name_apply (ConfabAssistantPage *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));

  /* an empty name is the default one, not a nameless assistant */
  patch (self, "name", *name != '\0' ? name : _("Assistant"), FALSE, NULL);
}

static void
on_tone_apply (ConfabAssistantPage *self)
{
  patch (self, "tone", gtk_editable_get_text (GTK_EDITABLE (self->tone_row)), FALSE, NULL);
}

static void
on_save_instructions (ConfabAssistantPage *self)
{
  g_autofree char *text = instructions_text (self);

  patch (self, "instructions", text, FALSE, _("Instructions saved"));
}

/* --------------------------------------------------------------- site --- */

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (ConfabAssistantPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL,
                                                              &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (site == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The site could not be loaded: %s"), error->message);

      confab_admin_toast (GTK_WIDGET (self), text);
      return;
    }
  set_site (self, site);
}

static void
load (ConfabAssistantPage *self)
{
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  path = confab_admin_path ("sites", self->site_id, NULL);
  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, loaded_cb,
                               g_object_ref (self));
}

static void
on_site_updated (ConfabClient        *client,
                 const char          *site_id,
                 JsonObject          *site,
                 ConfabAssistantPage *self)
{
  if (g_strcmp0 (site_id, self->site_id) == 0)
    set_site (self, site);
}

/* back online: what changed meanwhile */
static void
on_state_changed (ConfabAssistantPage *self)
{
  if (confab_client_get_state (self->client) == CONFAB_CLIENT_ONLINE)
    load (self);
}

static void
set_site_id (ConfabAssistantPage *self,
             const char          *site_id)
{
  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_site (self, NULL);
  load (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_assistant_page_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  ConfabAssistantPage *self = CONFAB_ASSISTANT_PAGE (object);

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
confab_assistant_page_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  ConfabAssistantPage *self = CONFAB_ASSISTANT_PAGE (object);

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
confab_assistant_page_dispose (GObject *object)
{
  ConfabAssistantPage *self = CONFAB_ASSISTANT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->site, json_object_unref);
  G_OBJECT_CLASS (confab_assistant_page_parent_class)->dispose (object);
}

static void
confab_assistant_page_finalize (GObject *object)
{
  ConfabAssistantPage *self = CONFAB_ASSISTANT_PAGE (object);

  g_free (self->site_id);
  G_OBJECT_CLASS (confab_assistant_page_parent_class)->finalize (object);
}

static void
confab_assistant_page_class_init (ConfabAssistantPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_assistant_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_assistant_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_assistant_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_assistant_page_set_property;

  /* the site the settings area's picker shows; NULL: none */
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
}

static GtkWidget *
entry_row (const char *title,
           const char *name,
           int         max_chars)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
  gtk_widget_set_name (row, name);
  /* the relay's limit, so that what is typed is what it keeps */
  gtk_text_set_max_length (GTK_TEXT (gtk_editable_get_delegate (GTK_EDITABLE (row))), max_chars);
  return row;
}

static void
confab_assistant_page_init (ConfabAssistantPage *self)
{
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (self);
  GtkWidget *switch_row = adw_action_row_new ();
  GtkWidget *form_group = adw_preferences_group_new ();
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  self->cancellable = g_cancellable_new ();
  gtk_widget_set_name (GTK_WIDGET (self), "assistant-page");
  adw_preferences_page_set_title (page, _("Assistant"));
  adw_preferences_page_set_icon_name (page, "starred-symbolic");

  self->main_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->main_group, _("AI Assistant"));
  adw_preferences_group_set_description (self->main_group,
    _("Answers visitors from this site's FAQs and published articles, cites the articles it used, "
      "and offers a person when it does not know. It stays quiet once an agent has written. "
      "Agents can ask it for a suggested reply or a summary in any conversation."));
  self->note = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (self->note), "assistant-note");
  gtk_label_set_wrap (self->note, TRUE);
  gtk_label_set_xalign (self->note, 0);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->note), 12);
  gtk_widget_add_css_class (GTK_WIDGET (self->note), "warning");
  adw_preferences_group_add (self->main_group, GTK_WIDGET (self->note));
  adw_preferences_page_add (page, self->main_group);

  self->form = form_group;
  self->enabled_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_name (GTK_WIDGET (self->enabled_switch), "assistant-enabled");
  gtk_widget_set_valign (GTK_WIDGET (self->enabled_switch), GTK_ALIGN_CENTER);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (switch_row), _("Answer Visitors"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (switch_row),
                               _("Before an agent writes, the assistant answers the visitor's messages"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (switch_row), GTK_WIDGET (self->enabled_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (switch_row), GTK_WIDGET (self->enabled_switch));
  g_signal_connect_swapped (self->enabled_switch, "notify::active", G_CALLBACK (on_enabled), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (form_group), switch_row);
  self->name_row = ADW_ENTRY_ROW (entry_row (_("Name Shown to Visitors"), "assistant-name",
                                             CONFAB_ASSISTANT_NAME_MAX));
  g_signal_connect_swapped (self->name_row, "apply", G_CALLBACK (on_name_apply), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (form_group), GTK_WIDGET (self->name_row));
  self->tone_row = ADW_ENTRY_ROW (entry_row (_("Tone (e.g. friendly and brief)"), "assistant-tone",
                                             CONFAB_ASSISTANT_TONE_MAX));
  g_signal_connect_swapped (self->tone_row, "apply", G_CALLBACK (on_tone_apply), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (form_group), GTK_WIDGET (self->tone_row));
  adw_preferences_page_add (page, ADW_PREFERENCES_GROUP (form_group));

  self->instructions_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->instructions_group, _("Instructions"));
  adw_preferences_group_set_description (self->instructions_group,
    _("What the assistant should know and how it should behave, in your words. It never invents "
      "prices or promises: it answers only from your knowledge base."));
  self->instructions = GTK_TEXT_VIEW (gtk_text_view_new ());
  gtk_widget_set_name (GTK_WIDGET (self->instructions), "assistant-instructions");
  gtk_text_view_set_wrap_mode (self->instructions, GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (self->instructions, FALSE);
  gtk_text_view_set_top_margin (self->instructions, 8);
  gtk_text_view_set_bottom_margin (self->instructions, 8);
  gtk_text_view_set_left_margin (self->instructions, 8);
  gtk_text_view_set_right_margin (self->instructions, 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->instructions), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Instructions"), -1);
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->instructions), "changed",
                            G_CALLBACK (update_counter), self);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 160);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->instructions));
  gtk_frame_set_child (GTK_FRAME (frame), scroller);
  gtk_widget_add_css_class (frame, "view");
  adw_preferences_group_add (self->instructions_group, frame);
  self->counter = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (self->counter), "assistant-instructions-count");
  gtk_widget_set_hexpand (GTK_WIDGET (self->counter), TRUE);
  gtk_label_set_xalign (self->counter, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->counter), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->counter), "caption");
  self->save_button = gtk_button_new_with_mnemonic (_("_Save Instructions"));
  gtk_widget_set_name (self->save_button, "assistant-instructions-save");
  gtk_widget_add_css_class (self->save_button, "suggested-action");
  g_signal_connect_swapped (self->save_button, "clicked", G_CALLBACK (on_save_instructions), self);
  gtk_widget_set_margin_top (bottom, 8);
  gtk_box_append (GTK_BOX (bottom), GTK_WIDGET (self->counter));
  gtk_box_append (GTK_BOX (bottom), self->save_button);
  adw_preferences_group_add (self->instructions_group, bottom);
  adw_preferences_page_add (page, self->instructions_group);
  fill (self);
}

GtkWidget *
confab_assistant_page_new (ConfabClient *client)
{
  ConfabAssistantPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_ASSISTANT_PAGE, NULL);
  self->client = g_object_ref (client);
  confab_client_ensure_chat_signals ();
  g_signal_connect (client, "site-updated", G_CALLBACK (on_site_updated), self);
  g_signal_connect_swapped (client, "notify::state", G_CALLBACK (on_state_changed), self);
  return GTK_WIDGET (self);
}
