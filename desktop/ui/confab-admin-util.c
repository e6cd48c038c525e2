/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-admin-util.c: see the header. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-format.h"
#include "confab-window.h"

char *
confab_admin_path (const char *collection,
                   const char *id,
                   const char *rest)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);

  return g_strconcat ("/api/v1/", collection, "/", escaped, rest != NULL ? "/" : NULL, rest, NULL);
}

const char *
confab_admin_string (JsonObject *object,
                     const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
confab_admin_object (JsonObject *object,
                     const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

char *
confab_admin_format_time (const char *rfc3339)
{
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) local = NULL;

  if (rfc3339 == NULL || (utc = g_date_time_new_from_iso8601 (rfc3339, NULL)) == NULL)
    return g_strdup ("");
  local = g_date_time_to_timezone (utc, confab_format_get_time_zone ());
  /* Translators: a date and time in lists: strftime format */
  return g_date_time_format (local, _("%-d %b %Y, %H:%M"));
}

int
confab_admin_days_until (const char *rfc3339)
{
  g_autoptr (GDateTime) then = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  GTimeSpan span;

  if (rfc3339 == NULL || (then = g_date_time_new_from_iso8601 (rfc3339, NULL)) == NULL)
    return -1;
  span = g_date_time_difference (then, now);
  if (span <= 0)
    return 0;
  return (int) ((span + G_TIME_SPAN_DAY - G_TIME_SPAN_MINUTE) / G_TIME_SPAN_DAY);
}

void
confab_admin_toast (GtkWidget  *widget,
                    const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  GtkRoot *root = gtk_widget_get_root (widget);

  /* the settings area's window has one (confab-admin-window.c) */
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (text));
  else if (CONFAB_IS_WINDOW (root))
    confab_window_toast (CONFAB_WINDOW (root), text);
  else
    g_message ("%s", text);
}

char *
confab_admin_markup (const char *text)
{
  return g_markup_escape_text (text != NULL ? text : "", -1);
}

/* ------------------------------------------------------------ confirm --- */

typedef struct {
  ConfabConfirmed callback;
  gpointer        user_data;
  GDestroyNotify  destroy;
} Confirm;

static void
confirm_free (Confirm *confirm)
{
  if (confirm->destroy != NULL)
    confirm->destroy (confirm->user_data);
  g_free (confirm);
}

static void
confirm_closure_free (gpointer  data,
                      GClosure *closure)
{
  confirm_free (data);
}

static void
on_confirm_response (AdwMessageDialog *dialog,
                     const char       *response,
                     Confirm          *confirm)
{
  if (g_str_equal (response, "confirm"))
    confirm->callback (confirm->user_data);
}

void
confab_admin_confirm (GtkWidget       *widget,
                      const char      *heading,
                      const char      *body,
                      const char      *verb,
                      ConfabConfirmed  callback,
                      gpointer         user_data,
                      GDestroyNotify   destroy)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, body);
  Confirm *confirm = g_new0 (Confirm, 1);

  confirm->callback = callback;
  confirm->user_data = user_data;
  confirm->destroy = destroy;
  gtk_widget_set_name (dialog, "confirm-dialog");
  /* it acts on the page: it goes with the settings window (a response after that would reach
   * a page that is gone) */
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "confirm", verb,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "confirm",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_confirm_response), confirm,
                         confirm_closure_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* --------------------------------------------------------------- edit --- */

typedef struct {
  const ConfabAdminField *fields;
  guint                   n_fields;
  GtkWidget             **inputs;
  ConfabEdited            callback;
  gpointer                user_data;
  GDestroyNotify          destroy;
} Edit;

static void
edit_free (gpointer  data,
           GClosure *closure)
{
  Edit *edit = data;

  if (edit->destroy != NULL)
    edit->destroy (edit->user_data);
  g_free (edit->inputs);
  g_free (edit);
}

static char *
input_text (GtkWidget *input)
{
  if (GTK_IS_CHECK_BUTTON (input))
    return g_strdup (gtk_check_button_get_active (GTK_CHECK_BUTTON (input)) ? "1" : "");
  if (GTK_IS_TEXT_VIEW (input))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (input));
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (input)));
}

static void
edit_update (AdwMessageDialog *dialog)
{
  Edit *edit = g_object_get_data (G_OBJECT (dialog), "confab-edit");
  gboolean complete = TRUE;

  for (guint i = 0; i < edit->n_fields; i++)
    if (edit->fields[i].required)
      {
        g_autofree char *text = input_text (edit->inputs[i]);

        complete = complete && *g_strstrip (text) != '\0';
      }
  adw_message_dialog_set_response_enabled (dialog, "save", complete);
}

static void
on_edit_response (AdwMessageDialog *dialog,
                  const char       *response,
                  Edit             *edit)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) values = NULL;

  if (!g_str_equal (response, "save"))
    return;
  for (guint i = 0; i < edit->n_fields; i++)
    {
      g_autofree char *text = input_text (edit->inputs[i]);

      g_strv_builder_add (builder, g_strstrip (text));
    }
  values = g_strv_builder_end (builder);
  edit->callback ((const char * const *) values, edit->user_data);
}

void
confab_admin_edit (GtkWidget              *widget,
                   const char             *heading,
                   const char             *error,
                   const ConfabAdminField *fields,
                   guint                   n_fields,
                   const char * const     *values,
                   const char             *verb,
                   ConfabEdited            callback,
                   gpointer                user_data,
                   GDestroyNotify          destroy)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, error);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  Edit *edit = g_new0 (Edit, 1);

  edit->fields = fields;
  edit->n_fields = n_fields;
  edit->inputs = g_new0 (GtkWidget *, n_fields);
  edit->callback = callback;
  edit->user_data = user_data;
  edit->destroy = destroy;
  gtk_widget_set_name (dialog, "edit-dialog");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  gtk_widget_set_size_request (box, 380, -1);
  for (guint i = 0; i < n_fields; i++)
    {
      GtkWidget *label;
      const char *value = values != NULL && values[i] != NULL ? values[i] : "";
      GtkWidget *input;

      if (fields[i].check)
        {
          input = gtk_check_button_new_with_mnemonic (fields[i].label);
          gtk_check_button_set_active (GTK_CHECK_BUTTON (input),
                                       *value != '\0' && g_strcmp0 (value, "false") != 0);
          gtk_widget_set_name (input, fields[i].name);
          gtk_box_append (GTK_BOX (box), input);
          edit->inputs[i] = input;
          continue;
        }
      label = gtk_label_new_with_mnemonic (fields[i].label);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "heading");
      if (i > 0)
        gtk_widget_set_margin_top (label, 6);
      gtk_box_append (GTK_BOX (box), label);
      if (fields[i].multiline)
        {
          GtkWidget *scrolled = gtk_scrolled_window_new ();
          GtkTextBuffer *buffer;

          input = gtk_text_view_new ();
          buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (input));
          gtk_text_buffer_set_text (buffer, value, -1);
          gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (input), GTK_WRAP_WORD_CHAR);
          gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (input), FALSE);
          gtk_text_view_set_top_margin (GTK_TEXT_VIEW (input), 6);
          gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (input), 6);
          gtk_text_view_set_left_margin (GTK_TEXT_VIEW (input), 6);
          gtk_text_view_set_right_margin (GTK_TEXT_VIEW (input), 6);
          g_signal_connect_object (buffer, "changed", G_CALLBACK (edit_update), dialog,
                                   G_CONNECT_SWAPPED);
          gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), input);
          gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 120);
          gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                          GTK_POLICY_AUTOMATIC);
          gtk_widget_add_css_class (scrolled, "card");
          gtk_box_append (GTK_BOX (box), scrolled);
        }
      else if (fields[i].secret)
        {
          /* write-only: the relay never gives it back; empty keeps what it has */
          input = gtk_password_entry_new ();
          gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (input), TRUE);
          if (fields[i].placeholder != NULL)
            g_object_set (input, "placeholder-text", fields[i].placeholder, NULL);
          g_object_set (input, "activates-default", TRUE, NULL);
          g_signal_connect_object (input, "changed", G_CALLBACK (edit_update), dialog,
                                   G_CONNECT_SWAPPED);
          gtk_box_append (GTK_BOX (box), input);
        }
      else
        {
          input = gtk_entry_new ();
          gtk_editable_set_text (GTK_EDITABLE (input), value);
          if (fields[i].placeholder != NULL)
            gtk_entry_set_placeholder_text (GTK_ENTRY (input), fields[i].placeholder);
          gtk_entry_set_activates_default (GTK_ENTRY (input), TRUE);
          g_signal_connect_object (input, "changed", G_CALLBACK (edit_update), dialog,
                                   G_CONNECT_SWAPPED);
          gtk_box_append (GTK_BOX (box), input);
        }
      gtk_widget_set_name (input, fields[i].name);
      gtk_label_set_mnemonic_widget (GTK_LABEL (label), input);
      edit->inputs[i] = input;
    }
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "save", verb,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "confab-edit", edit);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_edit_response), edit, edit_free, 0);
  edit_update (ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
  if (n_fields > 0)
    gtk_widget_grab_focus (edit->inputs[0]);
}

/* ------------------------------------------------------------ secrets --- */

static void
copy_clicked (GtkButton *button,
              GtkLabel  *label)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), gtk_label_get_text (label));
  gtk_button_set_label (button, _("Copied"));
}

void
confab_admin_show_once (GtkWidget  *widget,
                        const char *heading,
                        const char *body,
                        const char *secret)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, body);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (secret);
  GtkWidget *copy = gtk_button_new_with_label (_("Copy"));

  gtk_widget_set_name (dialog, "secret-dialog");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  gtk_widget_set_name (label, "secret-value");
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_name (copy, "secret-copy");
  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_clicked), label);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), copy);
  gtk_widget_set_size_request (box, 380, -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "done", _("_Done"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "done");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "done");
  gtk_window_present (GTK_WINDOW (dialog));
}

/* -------------------------------------------------------------- groups --- */

GtkWidget *
confab_admin_row_button (const char *icon,
                         const char *tooltip,
                         const char *action,
                         const char *target,
                         const char *name)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_name (button, name);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", target);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  return button;
}

void
confab_admin_group_add (AdwPreferencesGroup *group,
                        GPtrArray           *rows,
                        GtkWidget           *row)
{
  adw_preferences_group_add (group, row);
  g_ptr_array_add (rows, row);
}

void
confab_admin_group_clear (AdwPreferencesGroup *group,
                          GPtrArray           *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}
