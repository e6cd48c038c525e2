/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-sign-in-page.c: the sign-in form. Checks only that it is filled in; the relay says
 * whether the credentials are right. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-sign-in-page.h"

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
};

G_DEFINE_FINAL_TYPE (ConfabSignInPage, confab_sign_in_page, GTK_TYPE_WIDGET)

enum { SIGNAL_SUBMIT, SIGNAL_CANCEL, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
update_sensitivity (ConfabSignInPage *self)
{
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->relay_row));
  const char *email = gtk_editable_get_text (GTK_EDITABLE (self->email_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

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
  g_signal_emit (self, signals[SIGNAL_SUBMIT], 0, url, email, password);
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
  gtk_widget_set_sensitive (self->form, !busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
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
