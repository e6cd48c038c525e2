/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-offline-list.h: the offline messages of the inbox's site (or of all sites): name,
 * e-mail, page, time, the start of the message; open ones first by default. */
#pragma once

#include <gtk/gtk.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_OFFLINE_LIST (confab_offline_list_get_type ())
G_DECLARE_FINAL_TYPE (ConfabOfflineList, confab_offline_list, CONFAB, OFFLINE_LIST, GtkWidget)

GtkWidget *confab_offline_list_new            (void);
void       confab_offline_list_set_account    (ConfabOfflineList *self,
                                               ConfabAccount     *account);
/* NULL: every site. */
void       confab_offline_list_set_site_id    (ConfabOfflineList *self,
                                               const char        *site_id);
/* The open ones of the site shown (for the tab's badge). */
guint      confab_offline_list_get_open_count (ConfabOfflineList *self);
/* Selects the row of @id (after it was opened from elsewhere); FALSE when not listed. */
gboolean   confab_offline_list_select         (ConfabOfflineList *self,
                                               const char        *id);

G_END_DECLS
