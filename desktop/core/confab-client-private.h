/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-private.h: what confab-client.c and confab-client-outbox.c share. */
#pragma once

#include <libsoup/soup.h>

#include "confab-client.h"

G_BEGIN_DECLS

struct _ConfabClient
{
  GObject                  parent_instance;

  ConfabCache             *cache;
  SoupSession             *session;
  char                    *relay_url;
  char                    *token;
  char                    *user_id;
  char                    *user_name;
  char                    *presence;
  ConfabClientState        state;

  gboolean                 running;       /* start() called, no stop() or sign-out since */
  GCancellable            *connect_cancellable;
  SoupWebsocketConnection *ws;
  guint                    attempts;      /* failed connections since the last synced */
  guint                    reconnect_source;
  guint                    reconnect_delay; /* ms, of the wait reconnect_source ends */
  guint                    keepalive_source;
  gint64                   last_frame_us; /* monotonic time of the last frame received */
  GQueue                   incoming;      /* GBytes*: frames received, not applied yet */
  gint64                   slice_end_us;  /* monotonic: frames are applied as they come until
                                           * then; later ones queue for the next slice */
  guint                    apply_source;  /* applies them, a slice per main-loop turn */
  ConfabFramePacer         pacer;         /* the next slice waits for a painted frame */
  gpointer                 pacer_data;
  guint                    frame_wait_ms;  /* FRAME_WAIT_MS; tests make it longer */
  gboolean                 waits_for_frame; /* apply_source is the wait's time limit */
  guint                    backlog_applied; /* frames applied since the queue was last empty */
  guint                    held_slices;   /* slices the lists stayed behind for (HELD_SLICES) */
  GNetworkMonitor         *network_monitor;
  guint                    probe_source;  /* a ping after a network change, unanswered */
  gint64                   probe_sent_us;

  char                    *in_flight;     /* client_id of the outbox message sent, not acked */
  guint                    outbox_retry_source;
  GCancellable            *upload_cancellable; /* the head's file being uploaded (in_flight) */

  GPtrArray               *starts;        /* GTask*: start_conversation calls not answered yet */
};

gboolean confab_client_send_frame          (ConfabClient *self,
                                            JsonObject   *frame);
/* Sends the head of the outbox when synced and nothing is in flight. */
void     confab_client_outbox_pump         (ConfabClient *self);
/* Where a file of the outbox waits for its upload: $XDG_CACHE_HOME/confab/outbox/CLIENT_ID. */
char    *confab_client_outbox_file_path    (const char   *client_id);
/* Stops the upload of @client_id's file when it is the one under way (TRUE then). */
gboolean confab_client_outbox_cancel_upload (ConfabClient *self,
                                             const char   *client_id);
/* The connection ended: what was in flight is sent again after the next synced. */
void     confab_client_outbox_reset        (ConfabClient *self);
void     confab_client_outbox_handle_ack   (ConfabClient *self,
                                            JsonObject   *frame);
/* TRUE when the error frame was about an outbox message (and handled). */
gboolean confab_client_outbox_handle_error (ConfabClient *self,
                                            JsonObject   *frame);

/* confab-client-http.c: a request to @path of the relay with the account's token; a non-2xx
 * answer as a GError (the relay's error.message when it sent one). */
SoupMessage *confab_client_authorized_message (ConfabClient  *self,
                                               const char    *method,
                                               const char    *path,
                                               GError       **error);
gboolean     confab_client_check_status       (SoupMessage   *msg,
                                               GBytes        *body,
                                               GError       **error);

/* confab-client-team.c */
/* TRUE when @type is a pushed admin list (canned, faqs, members) and was handled; presence and
 * synced are noted there and left to confab-client.c. */
gboolean confab_client_team_handle_frame   (ConfabClient *self,
                                            const char   *type,
                                            JsonObject   *frame);

/* confab-client-engage.c */
/* TRUE when @type was a triggers frame (and handled). */
gboolean confab_client_engage_handle_frame (ConfabClient *self,
                                            const char   *type,
                                            JsonObject   *frame);

/* confab-client-chat.c */
/* TRUE when @type was a note or labels frame (and handled); synced is noted there and left to
 * confab-client.c. */
gboolean confab_client_chat_handle_frame   (ConfabClient *self,
                                            const char   *type,
                                            JsonObject   *frame,
                                            gint64        cursor);
/* A typing preview (of a conversation or not): the visitor's last text, kept until cleared. */
void     confab_client_chat_note_preview   (ConfabClient *self,
                                            const char   *visitor_id,
                                            const char   *text,
                                            gboolean      active);
void     confab_client_chat_clear_previews (ConfabClient *self);

/* confab-client-start.c */
/* Sends every unanswered start_conversation again (after a sync: same client_ids). */
void     confab_client_starts_resend       (ConfabClient *self);
/* TRUE when the ack / error frame answered a start_conversation (and was handled). */
gboolean confab_client_starts_handle_ack   (ConfabClient *self,
                                            JsonObject   *frame);
gboolean confab_client_starts_handle_error (ConfabClient *self,
                                            JsonObject   *frame);
/* The client stops: nobody will answer the calls still waiting. */
void     confab_client_starts_fail_all     (ConfabClient *self);

/* confab-client-unseen.c */
/* An offline_message, rating or timeline frame into the cache. */
gboolean confab_client_unseen_apply        (ConfabClient *self,
                                            const char   *type,
                                            JsonObject   *frame,
                                            gint64        cursor,
                                            GError      **error);

G_END_DECLS
