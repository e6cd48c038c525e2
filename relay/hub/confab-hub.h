/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub.h: live connections of visitors and agents, rooms, fan-out, presence, typing */
#pragma once

#include "confab-relay.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

ConfabHub *confab_hub_new               (ConfabRelay *relay);
void       confab_hub_free              (ConfabHub   *hub);

/* Closes every socket opened with this token (close code 4001): the token was revoked. */
void       confab_hub_revoke_token      (ConfabHub   *hub,
                                         const char  *token_hash);
/* The user's name changed: their open sockets sign what they send from now on with @name. */
void       confab_hub_user_renamed      (ConfabHub   *hub,
                                         const char  *user_id,
                                         const char  *name);
/* Says goodbye to everyone (close code 1001) before the relay stops. */
void       confab_hub_close_all         (ConfabHub   *hub);
/* For /metrics: open visitor and agent sockets, and the bytes queued to them all. */
void       confab_hub_get_stats         (ConfabHub   *hub,
                                         guint       *out_visitors,
                                         guint       *out_agents,
                                         guint64     *out_queued_bytes);
/* Agents of @site_id connected and "online". */
/* Whether any tab of @visitor_id is connected (after its hello). */
gboolean   confab_hub_visitor_online    (ConfabHub   *hub,
                                         const char  *visitor_id);
guint      confab_hub_agents_online     (ConfabHub   *hub,
                                         const char  *site_id);
/* The site's settings changed (domains, flags): reload what live connections cached. */
void       confab_hub_site_changed      (ConfabHub   *hub,
                                         const char  *site_id);

/* Runs inside the transaction of confab_hub_post_message(), before the message is appended. */
typedef gboolean (*ConfabHubPrepareFunc) (ConfabStore  *store,
                                          gpointer      user_data,
                                          GError      **error);

/* Appends a message the relay writes itself (a bot answer, a system note: no client_id) to
 * @draft->conversation_id and tells the visitor's tabs and the site's agents, like any other
 * message. In the same transaction @prepare (may be NULL) runs first, and @status (may be NULL)
 * becomes the conversation's status when it is another one (agents and the visitor hear of
 * that too). When anything fails nothing is stored and nobody hears of it. */
ConfabMessage *confab_hub_post_message  (ConfabHub                      *hub,
                                         const ConfabMessageDraft       *draft,
                                         const ConfabConversationStatus *status,
                                         ConfabHubPrepareFunc            prepare,
                                         gpointer                        user_data,
                                         GError                        **error);
/* Sends @frame to the visitor's open tabs on this relay (the assistant's live draft). */
void       confab_hub_send_to_visitor   (ConfabHub   *hub,
                                         const char  *visitor_id,
                                         JsonObject  *frame);
/* Sends @frame to the visitor's open tabs on the other relays of a cluster (nothing without
 * one): the assistant's draft, which it sends to them less often than here (confab-assistant.c).
 * Frames sent this way reach each relay in the order they were sent. */
void       confab_hub_send_to_visitor_elsewhere (ConfabHub  *hub,
                                         const char  *site_id,
                                         const char  *visitor_id,
                                         JsonObject  *frame);
/* @user_id's memberships changed: their live agent sockets reload the sites they hear about
 * and get a `sites` frame listing them. */
void       confab_hub_memberships_changed (ConfabHub *hub,
                                         const char  *user_id);

/* Offline messages (confab-hub-unseen.c): each change is stored and told to the site's agents
 * as an "offline_message" event. Store errors (NOT_FOUND; CONFLICT when the visitor is gone). */
ConfabOfflineMessage *confab_hub_set_offline_message_status (ConfabHub *hub,
                                         const char  *offline_id,
                                         gboolean     handled,
                                         const char  *user_id,
                                         GError     **error);
/* The conversation made of the offline message: a new one (*@out_created) the first time,
 * assigned to @user_id, with the message as the visitor's first; the same one afterwards. */
ConfabConversation *confab_hub_offline_message_to_conversation (ConfabHub *hub,
                                         const char  *offline_id,
                                         const char  *user_id,
                                         const char  *user_name,
                                         gboolean    *out_created,
                                         GError     **error);

/* Makes every change the hub has made durable now (it groups them into one transaction per
 * main-loop turn). HTTP handlers call it before reading, so that they never see (or miss)
 * what a client was not yet told. */
void       confab_hub_sync              (ConfabHub   *hub);

/* Close codes the relay uses besides RFC 6455's own. */
#define CONFAB_CLOSE_TOKEN_REVOKED 4001
/* The client stopped reading and its send queue filled up: reconnect and resume from the last
 * cursor / seq. (1013 "Try Again Later" would say the same, but libsoup 3.2 peers read it as a
 * protocol error.) */
#define CONFAB_CLOSE_SLOW_CONSUMER 4008

/* Something that may free an agent's slot changed on @site_id (a limit, a team, the
 * settings): the site's queues are drained soon (confab-hub-routing.c). */
void confab_hub_route_later (ConfabHub  *hub,
                             const char *site_id);

/* The FAQ bot (or the assistant's retrieval) matched @faq_id for message @message_seq of
 * @conversation_id: when that is the visitor's first message, the conversation has no team and
 * nobody has it yet, and a team_rules entry names @faq_id, the conversation moves to that team
 * (out of the site's queue; to a free agent of the team or at the end of its queue). TRUE
 * also when nothing applied. */
gboolean confab_hub_route_faq_matched (ConfabHub   *hub,
                                       const char  *conversation_id,
                                       gint64       message_seq,
                                       const char  *faq_id,
                                       GError     **error);

/* Transfers @conversation (issue 18) to exactly one of @to_agent_id (assigned, whatever their
 * limit) or @to_team_id (unassigned, then routed or queued in that team), with a timeline
 * "transferred" event and @note (may be NULL) as an internal note. NOT_FOUND for a target
 * that is not the conversation's site's. The conversation after, or NULL. */
ConfabConversation *confab_hub_transfer (ConfabHub                *hub,
                                         const char               *actor_id,
                                         const char               *actor_name,
                                         const ConfabConversation *conversation,
                                         const char               *to_agent_id,
                                         const char               *to_team_id,
                                         const char               *note,
                                         GError                  **error);

G_END_DECLS
