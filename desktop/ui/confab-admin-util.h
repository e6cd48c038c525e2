/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-admin-util.h: what the settings pages (team, FAQs, canned responses, audit log,
 * visitor data) share: relay paths, reading JSON fields, times, toasts, confirmations and the
 * rows of a preferences group rebuilt from a list. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* "/api/v1/<collection>/<id>[/<rest>]" with @id escaped; @rest may be NULL. */
char       *confab_admin_path          (const char          *collection,
                                        const char          *id,
                                        const char          *rest);
/* A string member, or NULL (absent, null, not a string). */
const char *confab_admin_string        (JsonObject          *object,
                                        const char          *member);
/* A member's object, or NULL. */
JsonObject *confab_admin_object        (JsonObject          *object,
                                        const char          *member);
/* An RFC 3339 time as "12 Mar 2026, 14:05" in the local zone; "" when it is not one. */
char       *confab_admin_format_time   (const char          *rfc3339);
/* Whole days from now until @rfc3339 (rounded up, at least 0); -1 when it is not a time. */
int         confab_admin_days_until    (const char          *rfc3339);
/* A toast over @widget: its AdwToastOverlay (the settings area has one), else its window's. */
void        confab_admin_toast         (GtkWidget           *widget,
                                        const char          *text);
/* Escaped for a row's title or subtitle (they take Pango markup). */
char       *confab_admin_markup        (const char          *text);

/* Asks "@heading / @body" with a destructive @verb; @callback runs only when confirmed. */
typedef void (*ConfabConfirmed) (gpointer user_data);
void        confab_admin_confirm       (GtkWidget           *widget,
                                        const char          *heading,
                                        const char          *body,
                                        const char          *verb,
                                        ConfabConfirmed      callback,
                                        gpointer             user_data,
                                        GDestroyNotify       destroy);

/* A form in a dialog: one entry (or a text box when @multiline) per field. */
typedef struct {
  const char *name;        /* the widget's name, for tests */
  const char *label;
  const char *placeholder; /* may be NULL */
  gboolean    multiline;
  gboolean    required;    /* saving waits until it holds something */
  gboolean    check;       /* a check button (@label its text): its value "1" or "" */
  gboolean    secret;      /* a password entry: what is typed is never shown */
} ConfabAdminField;

/* What was typed, one string per field (owned by the dialog). */
typedef void (*ConfabEdited) (const char * const *values,
                              gpointer            user_data);
/* Shows the form with @values (NULL: empty) and @error above it (may be NULL); @callback runs
 * once when @verb is chosen, never on cancel. */
void        confab_admin_edit          (GtkWidget              *widget,
                                        const char             *heading,
                                        const char             *error,
                                        const ConfabAdminField *fields,
                                        guint                   n_fields,
                                        const char * const     *values,
                                        const char             *verb,
                                        ConfabEdited            callback,
                                        gpointer                user_data,
                                        GDestroyNotify          destroy);

/* Shows @secret once (an API key, a webhook's signing secret): selectable, with a Copy button
 * (the clipboard), and @body saying it will not be shown again. */
void        confab_admin_show_once     (GtkWidget           *widget,
                                        const char          *heading,
                                        const char          *body,
                                        const char          *secret);

/* A flat icon button for a row's end: activates @action with the string @target. */
GtkWidget  *confab_admin_row_button    (const char          *icon,
                                        const char          *tooltip,
                                        const char          *action,
                                        const char          *target,
                                        const char          *name);

/* Rows added to a group and removed together when the list is shown again. */
void        confab_admin_group_add     (AdwPreferencesGroup *group,
                                        GPtrArray           *rows,
                                        GtkWidget           *row);
void        confab_admin_group_clear   (AdwPreferencesGroup *group,
                                        GPtrArray           *rows);

G_END_DECLS
