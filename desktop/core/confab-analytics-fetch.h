/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-fetch.h: the analytics answer and its CSV export, read over REST with the
 * account's token (paths from confab_analytics_path()). */
#pragma once

#include "confab-analytics.h"
#include "confab-client.h"

G_BEGIN_DECLS

/* GET @path → a ConfabAnalytics. A refusal carries the relay's error.message
 * (CONFAB_CLIENT_ERROR_RELAY), an answer of another shape CONFAB_ANALYTICS_ERROR_INVALID. */
void             confab_analytics_fetch_async      (ConfabClient        *client,
                                                    const char          *path,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
ConfabAnalytics *confab_analytics_fetch_finish     (ConfabClient        *client,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* GET @path (analytics.csv) → the body as it came (text/csv). */
void             confab_analytics_fetch_csv_async  (ConfabClient        *client,
                                                    const char          *path,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GBytes          *confab_analytics_fetch_csv_finish (ConfabClient        *client,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
