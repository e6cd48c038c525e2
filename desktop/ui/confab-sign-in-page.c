/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-sign-in-page.c: the sign-in form. Checks only that it is filled in; the relay says
 * whether the credentials are right.
 *
 * "I have a setup code" turns it into the first sign-in of an invited agent: relay, e-mail, the
 * code an admin gave them, a name and a password chosen now (twice). It checks what it can
 * before asking the relay (the password's length, the two alike); the relay says whether the
 * code is right, expired or spent. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-sign-in-page.h"

/* the relay's rule (weak_password), said before asking it */
#define MIN_PASSWORD_LENGTH 8

struct _ConfabSignInPage
{
  GtkWidget       parent_instance;

  AdwEntryRow    *relay_row;
  AdwEntryRow    *email_row;
  AdwPasswordEntryRow *password_row;
  GtkButton      *sign_in_button;
  GtkButton      *cancel_button;
  GtkSpinner     *spinner;
  GtkLabel       *error_label;
  GtkWidget      *form;
  AdwStatusPage  *status_page;
  AdwEntryRow    *code_row;
  AdwEntryRow    *name_row;
  AdwPasswordEntryRow *new_password_row;
  AdwPasswordEntryRow *repeat_row;
  GtkButton      *mode_button;
  gboolean        setup;
};

G_DEFINE_FINAL_TYPE (ConfabSignInPage, confab_sign_in_page, GTK_TYPE_WIDGET)

enum { SIGNAL_SUBMIT, SIGNAL_CANCEL, SIGNAL_SETUP, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
update_sensitivity (ConfabSignInPage *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->relay_row));
  const char *email = gtk_editable_get_text (GTK_EDITABLE (self->email_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (self->setup)
    password = gtk_editable_get_text (GTK_EDITABLE (self->code_row));
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button),
                            *url != '\0' && *email != '\0' && *password != '\0');
}

static void
on_changed (ConfabSignInPage *self)
{
  update_sensitivity (self);
}

static void
on_submit (ConfabSignInPage *self)
{
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->relay_row))));
  g_autofree char *email = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->email_row))));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->sign_in_button)))
    return;
  if (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://"))
    {
      confab_sign_in_page_set_error (self, _("The relay address starts with https:// or http://"));
      return;
    }
  if (self->setup)
    {
      g_autofree char *code = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->code_row))));
      g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
      const char *chosen = gtk_editable_get_text (GTK_EDITABLE (self->new_password_row));

      if (g_utf8_strlen (chosen, -1) < MIN_PASSWORD_LENGTH)
        {
          confab_sign_in_page_set_error (self, _("Choose a password of at least 8 characters."));
          return;
        }
      if (g_strcmp0 (chosen, gtk_editable_get_text (GTK_EDITABLE (self->repeat_row))) != 0)
        {
          confab_sign_in_page_set_error (self, _("The two passwords differ."));
          return;
        }
      g_signal_emit (self, signals[SIGNAL_SETUP], 0, url, email, code, chosen, name);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_SUBMIT], 0, url, email, password);
}

static void
on_toggle_mode (ConfabSignInPage *self)
{
  confab_sign_in_page_set_setup_mode (self, !self->setup);
}

void
confab_sign_in_page_set_setup_mode (ConfabSignInPage *self,
                                    gboolean          setup)
{
  g_return_if_fail (CONFAB_IS_SIGN_IN_PAGE (self));

  self->setup = setup;
  gtk_widget_set_visible (GTK_WIDGET (self->password_row), !setup);
  gtk_widget_set_visible (GTK_WIDGET (self->code_row), setup);
  gtk_widget_set_visible (GTK_WIDGET (self->name_row), setup);
  gtk_widget_set_visible (GTK_WIDGET (self->new_password_row), setup);
  gtk_widget_set_visible (GTK_WIDGET (self->repeat_row), setup);
  gtk_button_set_label (self->sign_in_button, setup ? _("_Set Password and Sign In") : _("_Sign In"));
  gtk_button_set_label (self->mode_button, setup ? _("Sign in with a _password") : _("I have a _setup code"));
  /* the longer form leaves no room for the icon on a laptop's screen */
  adw_status_page_set_icon_name (self->status_page, setup ? NULL : "user-available-symbolic");
  adw_status_page_set_title (self->status_page, setup ? _("Your First Sign-In") : _("Welcome to Confab"));
  adw_status_page_set_description (self->status_page,
                                   setup ? _("Use the setup code your admin gave you.")
                                         : _("Sign in to your relay to answer your visitors."));
  confab_sign_in_page_set_error (self, NULL);
  update_sensitivity (self);
}

gboolean
confab_sign_in_page_get_setup_mode (ConfabSignInPage *self)
{
  g_return_val_if_fail (CONFAB_IS_SIGN_IN_PAGE (self), FALSE);
  return self->setup;
}

static void
on_cancel (ConfabSignInPage *self)
{
  g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
}

static void
confab_sign_in_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_SIGN_IN_PAGE);
  /* the template's root box has no id: dispose_template leaves it */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (confab_sign_in_page_parent_class)->dispose (object);
}

static void
confab_sign_in_page_class_init (ConfabSignInPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_sign_in_page_dispose;

  /* relay_url, email, password */
  signals[SIGNAL_SUBMIT] =
    g_signal_new ("submit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* relay_url, email, setup code, the chosen password, name ("" for none) */
  signals[SIGNAL_SETUP] =
    g_signal_new ("setup", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 5, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                  G_TYPE_STRING);
  signals[SIGNAL_CANCEL] =
    g_signal_new ("cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/chat/confab/Confab/confab-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, relay_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, email_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, form);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, code_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, new_password_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, repeat_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSignInPage, mode_button);
  gtk_widget_class_bind_template_callback (widget_class, on_toggle_mode);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_submit);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
confab_sign_in_page_init (ConfabSignInPage *self)
{
  const char *env_url = g_getenv ("CONFAB_RELAY_URL");

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_editable_set_text (GTK_EDITABLE (self->relay_row),
                         env_url != NULL && *env_url != '\0' ? env_url : "http://127.0.0.1:8080");
  update_sensitivity (self);
}

void
confab_sign_in_page_set_relay_url (ConfabSignInPage *self,
                                   const char       *relay_url)
{
  gtk_editable_set_text (GTK_EDITABLE (self->relay_row), relay_url != NULL ? relay_url : "");
}

void
confab_sign_in_page_set_email (ConfabSignInPage *self,
                               const char       *email)
{
  gtk_editable_set_text (GTK_EDITABLE (self->email_row), email != NULL ? email : "");
}

void
confab_sign_in_page_set_busy (ConfabSignInPage *self,
                              gboolean          busy)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  /* a focused entry made insensitive keeps a focus it can no longer lose cleanly (GTK 4.8
   * warns "did not receive a focus-out event" later): take the focus out of the form first */
  if (busy && focus != NULL && gtk_widget_is_ancestor (focus, self->form))
    gtk_root_set_focus (root, NULL);
  gtk_widget_set_sensitive (self->form, !busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  /* a refused code keeps the chosen password: only the code needs fixing */
  if (!busy)
    gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
}

void
confab_sign_in_page_set_error (ConfabSignInPage *self,
                               const char       *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

void
confab_sign_in_page_set_can_cancel (ConfabSignInPage *self,
                                    gboolean          can_cancel)
{
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), can_cancel);
}
