/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-label-filter.h: the inbox's label filter — a button whose popover lists the labels of
 * the site shown (of every site under "All sites"); its "label-id" is the one chosen (NULL:
 * any). */
#pragma once

#include <adwaita.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_LABEL_FILTER (confab_label_filter_get_type ())
G_DECLARE_FINAL_TYPE (ConfabLabelFilter, confab_label_filter, CONFAB, LABEL_FILTER, GtkWidget)

void        confab_label_filter_set_account  (ConfabLabelFilter *self,
                                              ConfabAccount     *account);
void        confab_label_filter_set_site_id  (ConfabLabelFilter *self,
                                              const char        *site_id);
const char *confab_label_filter_get_label_id (ConfabLabelFilter *self);
/* Chooses @label_id (NULL: any) as a click in the popover does. */
void        confab_label_filter_set_label_id (ConfabLabelFilter *self,
                                              const char        *label_id);

G_END_DECLS
