/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-app-util.h: the real app started for one test (test-desktop-app.c,
 * test-desktop-inbox.c), and what several of those tests do with it. */
#pragma once

#include "confab-client.h"
#include "test-desktop-ui-util.h"

G_BEGIN_DECLS

typedef struct {
  ConfabApplication *app;
  ConfabWindow      *window;
} App;
typedef struct {
  App        *app;
  const char *text;
} AppText;

ConfabClient *
client_of (App *app);

gboolean
sign_in_shown (gpointer data);

gboolean
is_online (gpointer data);

gboolean
is_offline (gpointer data);

void
app_start (App       *app,
           TestRelay *relay,
           gboolean   sounds);

void
app_activate (App *app);

void
sign_in (App        *app,
         TestRelay  *relay,
         const char *email,
         const char *password);

void
app_stop (App *app);

guint
n_conversations (App *app);

char *
conversation_id_at (App  *app,
                    guint position);

gboolean
conversation_open (gpointer data);

gboolean
title_is (gpointer data);

gboolean
has_n_conversations (gpointer data);

gboolean
focus_in (gpointer data);

gboolean
is_active (gpointer data);

gboolean
is_not_active (gpointer data);

void
press (App             *app,
       guint            keyval,
       GdkModifierType  mods);

GtkWidget *
find_type (GtkWidget *root,
           GType      type);

GtkDropTarget *
drop_target_of (GtkWidget *widget);

gboolean
drop_files (GtkDropTarget *target,
            GFile         *file);

void
expect_agent_image (TestWs *visitor);

/* Real X input (xdotool's XTEST events under Xvfb), not emitted signals: the app sees what a
 * person's pointer and keyboard would give it. Points are in @widget's own coordinates. */
void
x_move (GtkWidget *widget,
        double     x,
        double     y);

void
x_click (GtkWidget *widget,
         double     x,
         double     y);

void
x_scroll (GtkWidget *widget,
          int        clicks);

/* Gives the X input focus to @window, as a window manager would, and waits for it to be active. */
void
x_focus (GtkWindow *window);

/* Keys as xdotool names them ("ctrl+Next", "Home"), to the window that has the X input focus. */
void
x_key (const char *keys);

/* Types @text (xdotool type) to the window that has the X input focus. */
void
x_type_text (const char *text);

/* Resizes or moves @window as a window manager would. */
void
x_resize (GtkWindow *window,
          int        width,
          int        height);

void
x_move_window (GtkWindow *window,
               int        x,
               int        y);

/* The conversation row on screen for @conversation_id, NULL when it is not shown. */
GtkWidget *
conversation_row (App        *app,
                  const char *conversation_id);

/* The relay's unread count of @conversation_id for the agent with @token. */
gint64
relay_unread (TestRelay  *relay,
              const char *token,
              const char *conversation_id);

/* A notification server on the test's session bus (org.gtk.Notifications, which GLib talks to
 * when it is there): records what the app shows and withdraws. */
typedef struct {
  GPtrArray       *added;     /* GVariant (ssa{sv}) */
  GPtrArray       *removed;   /* char* id */
  gboolean         owned;
  GDBusConnection *bus;
  guint            object;
  guint            owner;
} NotificationServer;

/* Registers and owns the name; returns once it is owned. */
void
notification_server_start (NotificationServer *server);

void
notification_server_stop (NotificationServer *server);

G_END_DECLS
