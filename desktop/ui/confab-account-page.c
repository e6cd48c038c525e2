/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-account-page.c: see the header. A refused password change says why beside the fields
 * (the current one is wrong, the new one too short, the two differ) and keeps what was typed. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-account-page.h"
#include "confab-admin-window.h"
#include "confab-avatar-row.h"
#include "confab-email-notify-row.h"
#include "confab-client-admin.h"
#include "confab-json.h"

/* the relay's rule (weak_password): checked here first so that the user hears it at once */
#define MIN_PASSWORD_LENGTH 8

struct _ConfabAccountPage
{
  AdwPreferencesPage  parent_instance;

  ConfabClient       *client;
  AdwEntryRow        *name_row;
  AdwPreferencesGroup *profile_group;
  AdwPasswordEntryRow *current_row;
  AdwPasswordEntryRow *new_row;
  AdwPasswordEntryRow *repeat_row;
  GtkButton          *change_button;
  GtkLabel           *password_error;
};

G_DEFINE_FINAL_TYPE (ConfabAccountPage, confab_account_page, ADW_TYPE_PREFERENCES_PAGE)

static void
show_error (ConfabAccountPage *self,
            const char        *text)
{
  gtk_label_set_text (self->password_error, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->password_error), text != NULL);
}

/* The name as the client knows it, unless the user is typing another. */
static void
show_name (ConfabAccountPage *self)
{
  const char *name = confab_client_get_user_name (self->client);

  if ((gtk_widget_get_state_flags (GTK_WIDGET (self->name_row)) & GTK_STATE_FLAG_FOCUS_WITHIN) != 0)
    return;
  /* without the apply button while set: the stored name is not an edit to apply */
  adw_entry_row_set_show_apply_button (self->name_row, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name != NULL ? name : "");
  adw_entry_row_set_show_apply_button (self->name_row, TRUE);
}

static void
renamed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (ConfabAccountPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL,
                                                                &error);
  JsonObject *user = NULL;
  const char *name = NULL;

  if (self->client == NULL)
    return;  /* the page was closed meanwhile */
  if (answer == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Your name was not changed: %s"), error->message);

      confab_admin_window_toast (GTK_WIDGET (self), text);
      adw_entry_row_set_show_apply_button (self->name_row, FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), confab_client_get_user_name (self->client));
      adw_entry_row_set_show_apply_button (self->name_row, TRUE);
      return;
    }
  if (confab_json_get_object (answer, "user", FALSE, &user, NULL) && user != NULL &&
      confab_json_get_string (user, "name", FALSE, &name, NULL) && name != NULL)
    confab_client_set_user_name (self->client, name);
  confab_admin_window_toast (GTK_WIDGET (self), _("Name changed"));
}

static void
on_name_apply (ConfabAccountPage *self)
{
  g_autoptr (JsonObject) body = json_object_new ();

  json_object_set_string_member (body, "name", gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
  confab_client_request_async (self->client, "PATCH", "/api/v1/me", body, NULL, renamed_cb,
                               g_object_ref (self));
}

static void
changed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (ConfabAccountPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, &code,
                                                                &error);
  gint64 revoked = 0;

  if (self->client == NULL)
    return;  /* the page was closed meanwhile */
  gtk_widget_set_sensitive (GTK_WIDGET (self->change_button), TRUE);
  if (answer == NULL)
    {
      if (g_strcmp0 (code, "wrong_password") == 0)
        show_error (self, _("The current password is not right."));
      else if (g_strcmp0 (code, "weak_password") == 0)
        show_error (self, _("The new password is too short: use at least 8 characters."));
      else if (g_strcmp0 (code, "rate_limited") == 0)
        show_error (self, _("Too many attempts. Wait a minute and try again."));
      else
        show_error (self, error->message);
      return;
    }
  show_error (self, NULL);
  confab_json_get_int (answer, "revoked_tokens", FALSE, 0, &revoked, NULL);
  for (GtkWidget *row = GTK_WIDGET (self->current_row); row != NULL;
       row = row == GTK_WIDGET (self->current_row) ? GTK_WIDGET (self->new_row)
             : row == GTK_WIDGET (self->new_row) ? GTK_WIDGET (self->repeat_row) : NULL)
    gtk_editable_set_text (GTK_EDITABLE (row), "");
  if (revoked > 0)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("Password changed; %d other session was signed out",
                                                         "Password changed; %d other sessions were signed out",
                                                         (int) revoked), (int) revoked);
      confab_admin_window_toast (GTK_WIDGET (self), text);
    }
  else
    confab_admin_window_toast (GTK_WIDGET (self), _("Password changed"));
}

static void
on_change_password (ConfabAccountPage *self)
{
  const char *current = gtk_editable_get_text (GTK_EDITABLE (self->current_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->new_row));
  const char *repeat = gtk_editable_get_text (GTK_EDITABLE (self->repeat_row));
  g_autoptr (JsonObject) body = NULL;

  if (*current == '\0')
    {
      show_error (self, _("Enter your current password."));
      return;
    }
  if (g_utf8_strlen (password, -1) < MIN_PASSWORD_LENGTH)
    {
      show_error (self, _("The new password is too short: use at least 8 characters."));
      return;
    }
  if (g_strcmp0 (password, repeat) != 0)
    {
      show_error (self, _("The two new passwords differ."));
      return;
    }
  show_error (self, NULL);
  body = json_object_new ();
  json_object_set_string_member (body, "current_password", current);
  json_object_set_string_member (body, "new_password", password);
  gtk_widget_set_sensitive (GTK_WIDGET (self->change_button), FALSE);
  confab_client_request_async (self->client, "POST", "/api/v1/me/password", body, NULL, changed_cb,
                               g_object_ref (self));
}

static AdwPasswordEntryRow *
add_password (AdwPreferencesGroup *group,
              const char          *name,
              const char          *title)
{
  GtkWidget *row = adw_password_entry_row_new ();

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_group_add (group, row);
  return ADW_PASSWORD_ENTRY_ROW (row);
}

static void
confab_account_page_dispose (GObject *object)
{
  ConfabAccountPage *self = CONFAB_ACCOUNT_PAGE (object);

  g_clear_object (&self->client);
  G_OBJECT_CLASS (confab_account_page_parent_class)->dispose (object);
}

static void
confab_account_page_class_init (ConfabAccountPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_account_page_dispose;
}

static void
confab_account_page_init (ConfabAccountPage *self)
{
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *button, *label;

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Profile"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("Visitors and your team see this name."));
  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->name_row), "account-name");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Name"));
  adw_entry_row_set_show_apply_button (self->name_row, TRUE);
  g_signal_connect_swapped (self->name_row, "apply", G_CALLBACK (on_name_apply), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->name_row));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), ADW_PREFERENCES_GROUP (group));
  self->profile_group = ADW_PREFERENCES_GROUP (group);

  group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Password"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("Your other devices are signed out; this one stays signed in."));
  self->current_row = add_password (ADW_PREFERENCES_GROUP (group), "current-password", _("Current Password"));
  self->new_row = add_password (ADW_PREFERENCES_GROUP (group), "new-password", _("New Password"));
  self->repeat_row = add_password (ADW_PREFERENCES_GROUP (group), "repeat-password", _("New Password Again"));
  g_signal_connect_swapped (self->repeat_row, "entry-activated", G_CALLBACK (on_change_password), self);
  label = gtk_label_new (NULL);
  self->password_error = GTK_LABEL (label);
  gtk_widget_set_name (label, "password-error");
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "error");
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_visible (label, FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), label);
  button = gtk_button_new_with_mnemonic (_("C_hange Password"));
  self->change_button = GTK_BUTTON (button);
  gtk_widget_set_name (button, "change-password");
  gtk_widget_set_halign (button, GTK_ALIGN_END);
  gtk_widget_set_margin_top (button, 12);
  gtk_widget_add_css_class (button, "suggested-action");
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_change_password), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), button);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), ADW_PREFERENCES_GROUP (group));
}

GtkWidget *
confab_account_page_new (ConfabClient *client)
{
  ConfabAccountPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_ACCOUNT_PAGE,
                       "title", _("Account"),
                       "icon-name", "avatar-default-symbolic",
                       NULL);
  /* gtk_widget_set_name(): AdwPreferencesPage's own "name" property hides GtkWidget's */
  gtk_widget_set_name (GTK_WIDGET (self), "account-page");
  self->client = g_object_ref (client);
  adw_preferences_group_add (self->profile_group, confab_avatar_row_new (client));
  adw_preferences_group_add (self->profile_group, confab_email_notify_row_new (client));
  show_name (self);
  g_signal_connect_object (client, "notify::user-name", G_CALLBACK (show_name), self,
                           G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}
