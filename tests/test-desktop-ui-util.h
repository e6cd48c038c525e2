/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-ui-util.h: what the UI tests share: finding widgets by name, waiting for what a
 * user would see (with a "timeout" screenshot when it does not come), screenshots, a picture,
 * and visitors played over the widget WebSocket. */
#pragma once

#include <adwaita.h>

#include "confab-application.h"
#include "relay-harness.h"

G_BEGIN_DECLS

#define UI_TIMEOUT_MS 10000

typedef gboolean (*Condition) (gpointer data);

/* A widget under @root: a widget and the name of another (or any string the condition needs). */
typedef struct {
  GtkWidget  *root;
  const char *name;
} Named;

/* The window shown in the "timeout" screenshot. */
extern GtkWidget *main_window;

GtkWidget *find_named      (GtkWidget  *root,
                            const char *name);
void       wait_until_at   (const char *file,
                            int         line,
                            const char *what,
                            Condition   condition,
                            gpointer    data);
#define wait_until(what, cond, data) wait_until_at (__FILE__, __LINE__, (what), (cond), (data))
/* Runs the main loop for @ms: layout, styles and pending frames settle. */
void       settle          (guint       ms);
/* Runs the main loop until @widget's window has drawn two more frames: whatever was queued
 * before (a resize, the layout of rows just made visible) has been laid out, however long a
 * loaded machine takes for it. */
void       wait_for_frames (GtkWidget  *widget);
/* Scrolls @widget into its scrolled window's view once it is laid out (frames drawn). */
void       scroll_into_view (GtkWidget *widget);
/* Saves @widget as <name>.png into $CONFAB_SCREENSHOTS; returns the path. */
char      *save_screenshot (GtkWidget  *widget,
                            const char *name);
/* <name>-dark.png of @window in the dark style, then <name>-narrow.png with @window 360 px wide
 * (its content may not be wider: the page wraps and folds rather than clip); @window is light
 * at its former size again afterwards. */
void       save_dark_and_narrow (GtkWindow  *window,
                                 const char *name);
/* A photo-like 640×420 PNG. */
GBytes    *make_picture    (void);
/* A visitor on @url who says @first (when not NULL); returns the socket, welcome consumed.
 * @fingerprint, @out_token and @out_conversation_id may be NULL. */
TestWs    *visitor_new     (TestRelay  *relay,
                            const char *site_key,
                            const char *url,
                            const char *title,
                            const char *timezone,
                            const char *fingerprint,
                            const char *first,
                            char      **out_token,
                            char      **out_conversation_id);
/* Condition: the widget named named->name is mapped. */
gboolean   named_visible   (gpointer    data);
/* Condition: the ConfabApplication @data has its window. */
gboolean   window_exists   (gpointer    data);

G_END_DECLS
