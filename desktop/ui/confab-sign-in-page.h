/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-sign-in-page.h: relay address, email and password; emits "submit". In setup mode
 * (a first sign-in with an admin's setup code): relay, email, code, name and a new password
 * twice; emits "setup". */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_SIGN_IN_PAGE (confab_sign_in_page_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSignInPage, confab_sign_in_page, CONFAB, SIGN_IN_PAGE, GtkWidget)

void confab_sign_in_page_set_relay_url (ConfabSignInPage *self,
                                        const char       *relay_url);
void confab_sign_in_page_set_email     (ConfabSignInPage *self,
                                        const char       *email);
/* While signing in: the form is insensitive and a spinner turns. */
void confab_sign_in_page_set_busy      (ConfabSignInPage *self,
                                        gboolean          busy);
/* NULL hides it. */
void confab_sign_in_page_set_error     (ConfabSignInPage *self,
                                        const char       *message);
/* Whether "cancel" (back to the signed-in account) is offered. */
void confab_sign_in_page_set_can_cancel (ConfabSignInPage *self,
                                         gboolean          can_cancel);

/* Setup mode: the form for a first sign-in with a setup code. */
void     confab_sign_in_page_set_setup_mode (ConfabSignInPage *self,
                                             gboolean          setup);
gboolean confab_sign_in_page_get_setup_mode (ConfabSignInPage *self);

G_END_DECLS
