/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-window.h: the main window: sign-in, or the inbox (sites → conversations → chat →
 * visitor) of the signed-in account, with the offline banner. */
#pragma once

#include <adwaita.h>

#include "confab-account.h"
#include "confab-analytics-page.h"
#include "confab-settings.h"
#include "confab-sign-in-page.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_WINDOW (confab_window_get_type ())
G_DECLARE_FINAL_TYPE (ConfabWindow, confab_window, CONFAB, WINDOW, AdwApplicationWindow)

ConfabWindow     *confab_window_new               (AdwApplication *application,
                                                   ConfabSettings *settings);
/* Shows @account's inbox (from its cache at once); NULL shows the sign-in page. */
void              confab_window_set_account       (ConfabWindow   *self,
                                                   ConfabAccount  *account);
ConfabAccount    *confab_window_get_account       (ConfabWindow   *self);
/* The sign-in page; @can_cancel when an account is signed in already (adding another). */
ConfabSignInPage *confab_window_show_sign_in      (ConfabWindow   *self,
                                                   gboolean        can_cancel);
void              confab_window_show_inbox        (ConfabWindow   *self);
/* Selects it in the list (all sites, no filter if need be) and shows it. */
/* The Offline tab, with the offline message @id open beside it. */
void              confab_window_open_offline_message (ConfabWindow *self,
                                                      const char   *id);
void              confab_window_open_conversation (ConfabWindow   *self,
                                                   const char     *conversation_id);
const char       *confab_window_get_conversation_id (ConfabWindow *self);
/* The Analytics view in place of the inbox (as its row under the sites does). */
void              confab_window_show_analytics    (ConfabWindow   *self);
ConfabAnalyticsPage *confab_window_get_analytics_page (ConfabWindow *self);
/* "relay\nemail" of each account, for the account switcher. */
void              confab_window_set_accounts      (ConfabWindow   *self,
                                                   GStrv           accounts);
void              confab_window_toast             (ConfabWindow   *self,
                                                   const char     *text);
/* The idle rule as of @now_us (monotonic): "online" turns "away" after away-after-minutes
 * without keyboard or pointer activity, and back at the next activity. Runs every 30 s; a
 * test passes a later @now_us instead of waiting. TRUE while away because of it. */
gboolean          confab_window_check_idle        (ConfabWindow   *self,
                                                   gint64          now_us);

G_END_DECLS
