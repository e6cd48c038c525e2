/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-offline-view.h: one offline message, open beside the list: who left it, where and
 * when, what they wrote, and what to do with it — mark it handled (or reopen it), start a
 * conversation with it (the visitor finds it on their next visit), reply by e-mail. */
#pragma once

#include <adwaita.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_OFFLINE_VIEW (confab_offline_view_get_type ())
G_DECLARE_FINAL_TYPE (ConfabOfflineView, confab_offline_view, CONFAB, OFFLINE_VIEW, GtkWidget)

GtkWidget  *confab_offline_view_new          (void);
void        confab_offline_view_set_account  (ConfabOfflineView *self,
                                              ConfabAccount     *account);
void        confab_offline_view_set_id       (ConfabOfflineView *self,
                                              const char        *id);
const char *confab_offline_view_get_id       (ConfabOfflineView *self);
void        confab_offline_view_set_folded   (ConfabOfflineView *self,
                                              gboolean           folded);
/* The reply's mailto: URI — To the visitor, a subject, their message quoted. NULL without an
 * e-mail address. */
char       *confab_offline_view_build_mailto (ConfabOfflineMessage *offline,
                                              const char           *site_name);

G_END_DECLS
