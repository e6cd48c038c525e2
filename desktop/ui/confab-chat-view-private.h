/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat-view-private.h: what confab-chat-view.c shares with the files that add to the
 * conversation pane: internal notes and @ mentions (-notes.c), labels (-labels.c), file cards
 * (-files.c). */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-chat-view.h"
#include "confab-message-list.h"

G_BEGIN_DECLS

struct _ConfabChatView
{
  GtkWidget          parent_instance;

  GtkStack          *stack;
  GtkWidget         *back_button;
  AdwHeaderBar      *header;
  AdwWindowTitle    *title;
  GtkMenuButton     *actions_button;
  GtkMenuButton     *labels_button;
  GtkPopover        *labels_popover;
  GtkBox            *labels_box;
  GtkListView       *message_view;
  GtkScrolledWindow *scroller;
  GtkRevealer       *ghost_revealer;
  GtkLabel          *ghost_label;
  GtkTextView       *composer;
  GtkButton         *send_button;
  GtkRevealer       *canned_revealer;
  GtkListBox        *canned_list;
  GtkLabel          *offline_hint;
  GtkWidget         *new_messages_pill;
  GtkWidget         *composer_box;
  GtkToggleButton   *note_toggle;
  GtkRevealer       *note_revealer;
  GtkRevealer       *mention_revealer;
  GtkListBox        *mention_list;

  ConfabAccount     *account;
  ConfabMessageList *messages;
  GtkNoSelection    *selection;
  char              *conversation_id;
  ConfabConversation *conversation;
  gint64             visitor_read_seq;
  gboolean           typing_sent;
  guint              typing_timeout;
  gboolean           stick_to_bottom;
  gboolean           pinning;        /* our own move to the bottom */
  gint64             user_scroll_us; /* the agent's last wheel, touchpad, scrollbar or key */
  guint              pin_source;
  GPtrArray         *bound_rows;  /* rows on screen, for read receipts */
  GMenu             *assign_section;
  GCancellable      *cancellable;

  /* confab-chat-view-notes.c / -labels.c */
  JsonArray         *members;       /* the site's team, for @ mentions (NULL: not known) */
  JsonArray         *site_labels;   /* the site's labels (NULL: not known) */
  gboolean           filling_labels;
};

/* confab-chat-view.c */
ConfabClient *confab_chat_view_client         (ConfabChatView *self);
void          confab_chat_view_toast          (ConfabChatView *self,
                                               const char     *text);
void          confab_chat_view_report         (ConfabChatView *self,
                                               GError         *error);

/* confab-chat-view-notes.c */
void          confab_chat_view_notes_class_init (GtkWidgetClass *widget_class);
/* The composer's text goes out as a note when the note mode is on: TRUE when it did. */
gboolean      confab_chat_view_notes_send       (ConfabChatView *self,
                                                 const char     *text);
void          confab_chat_view_notes_text_changed (ConfabChatView *self,
                                                 const char     *text);
/* A key in the composer for the mention list: TRUE when it took it. */
gboolean      confab_chat_view_notes_key        (ConfabChatView *self,
                                                 guint           keyval,
                                                 GdkModifierType state);
/* Another conversation (or none) is open. */
void          confab_chat_view_notes_opened     (ConfabChatView *self);

/* confab-chat-view-labels.c */
void          confab_chat_view_labels_class_init (GtkWidgetClass *widget_class);
void          confab_chat_view_labels_opened    (ConfabChatView *self);
/* The conversation changed: the picker's ticks follow. */
void          confab_chat_view_labels_update    (ConfabChatView *self);
void          confab_chat_view_labels_connect   (ConfabChatView *self,
                                                 ConfabAccount  *account);

/* confab-chat-view-files.c */
void          confab_chat_view_files_class_init (GtkWidgetClass *widget_class);

/* confab-chat-view-channel.c */
void          confab_chat_view_channel_class_init (GtkWidgetClass *widget_class);
void          confab_chat_view_channel_init     (ConfabChatView *self);
void          confab_chat_view_channel_update   (ConfabChatView *self);
/* The MIME types of the pictures the conversation's channel takes (Messenger, WhatsApp), or
 * NULL when it takes any file (the website, e-mail). */
const char * const *confab_chat_view_channel_image_types (ConfabChatView *self);
/* Whether a file of @mime may go to this conversation; if not, the composer says why. */
gboolean      confab_chat_view_channel_file_allowed (ConfabChatView *self,
                                                 const char     *mime);
/* confab-chat-view-routing.c: issue 18's target badge, team, transfer */
void          confab_chat_view_routing_class_init (GtkWidgetClass *widget_class);
void          confab_chat_view_routing_init     (ConfabChatView *self);
void          confab_chat_view_routing_update   (ConfabChatView *self);
void          confab_chat_view_routing_connect  (ConfabChatView *self,
                                                 ConfabAccount  *account);
/* A file that is no image (read from @file) goes out as a file attachment. */
void          confab_chat_view_send_file_bytes  (ConfabChatView *self,
                                                 GBytes         *bytes,
                                                 const char     *mime,
                                                 GFile          *file);
/* Downloads the upload @upload_id into @target (the "Save as…" of a file card). */
void          confab_chat_view_save_upload      (ConfabChatView *self,
                                                 const char     *upload_id,
                                                 GFile          *target);

/* confab-chat-view-assist.c */
void          confab_chat_view_assist_class_init (GtkWidgetClass *widget_class);
/* Adds the suggest button, the sources line, the summary card and "Summarize" to @menu. */
void          confab_chat_view_assist_init      (ConfabChatView *self,
                                                 GMenu          *menu);
void          confab_chat_view_assist_connect   (ConfabChatView *self,
                                                 ConfabAccount  *account);
/* Another conversation (or none) is open. */
void          confab_chat_view_assist_opened    (ConfabChatView *self);

G_END_DECLS
