/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-format.h: how times, names and states read in the UI (one place, translated). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "14:05" today, "Yesterday", "Mon", "12 Mar" or "12/03/2023" further back. */
char       *confab_format_time_short  (gint64      unix_ms);
/* "14:05" */
char       *confab_format_clock       (gint64      unix_ms);
/* "Today", "Yesterday", "Monday 12 March 2024" */
char       *confab_format_day         (gint64      unix_ms);
/* Same local day? */
gboolean    confab_format_same_day    (gint64      a_ms,
                                       gint64      b_ms);
/* "3 min", "1 h 5 min" */
char       *confab_format_duration    (gint64      seconds);
/* The visitor's name, or "Visitor 1a2b" from the id. */
char       *confab_format_visitor     (const char *name,
                                       const char *visitor_id);
/* Translated status: "Open", "Pending", "Resolved", "Closed". */
const char *confab_format_status      (const char *status);
/* Two letters for an avatar. */
char       *confab_format_initials    (const char *name);
/* The local time zone the functions above use (cached: no file access per call; TZ changes
 * show at once, /etc/localtime changes within a minute). Not a new reference. */
GTimeZone  *confab_format_get_time_zone   (void);
/* Forget the cached zone (tests; a zone change the app learns of otherwise). */
void        confab_format_reset_time_zone (void);

G_END_DECLS
