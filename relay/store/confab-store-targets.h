/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-targets.h: response-time targets (issue 18). A site's settings
 * "first_response_seconds" and "next_response_seconds" (a team's own values, when it has them,
 * come first) give a conversation a target when the ball passes to the agents: the first
 * response runs from the visitor's first message to the first agent message, the next response
 * from a visitor message that follows an agent message to the next agent message.
 *
 * The store starts and ends targets itself, in the transaction that appends the message (and
 * when a conversation is resolved or closed): the running one is on the conversation
 * (target_kind, target_due_at, target_state), every one in response_targets with its outcome
 * for analytics. The due time is stored, so a restart keeps it; confab-targets.c turns states
 * to near and missed on time. SQL in sqlite/confab-store-targets.c and
 * postgresql/confab-pg-store-targets.c; what both share in confab-store-targets.c. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* A target turns near once this share (per mille) of its time has gone. */
#define CONFAB_TARGET_NEAR_PERMILLE 800

const char        *confab_target_kind_to_string    (ConfabTargetKind   kind);   /* NULL for NONE */
ConfabTargetKind   confab_target_kind_from_string  (const char        *text);   /* NONE if unknown */
const char        *confab_target_state_to_string   (ConfabTargetState  state);
ConfabTargetState  confab_target_state_from_string (const char        *text);   /* OK if unknown */

/* The seconds of a target of @kind: @team_first / @team_next when they are 0 or more (a team's
 * own values), else the site's settings (@site_settings_json, may be NULL); 0 = no target. */
gint64             confab_target_seconds           (const char        *site_settings_json,
                                                    gint64             team_first,
                                                    gint64             team_next,
                                                    ConfabTargetKind   kind);
/* When a target started at @started_at and due at @due_at turns near. */
gint64             confab_target_near_at           (gint64             started_at,
                                                    gint64             due_at);

/* Moves every running target whose next mark (near, then missed) is at or before @now_ms on:
 * returns the ids of the conversations whose state changed (char*), NULL on error. */
GPtrArray         *confab_store_advance_targets    (ConfabStore       *store,
                                                    gint64             now_ms,
                                                    GError           **error);
/* When the next running target turns near or missed (ms); 0 when none will, -1 on error. */
gint64             confab_store_next_target_at     (ConfabStore       *store,
                                                    GError           **error);

/* A target that started in the range and was met or missed (analytics). */
typedef gboolean (*ConfabAnalyticsTargetFunc) (const char *site_id,
                                               gint64      started_at,
                                               ConfabTargetKind kind,
                                               gboolean    met,
                                               gpointer    user_data);

/* Targets of @sites_json (a JSON array of site ids) started in [@from_ms, @to_ms) that were
 * met or missed (running ones past due count as missed; those stopped before their due time,
 * by resolving the conversation, not at all). */
gboolean           confab_store_analytics_targets  (ConfabStore                *store,
                                                    const char                 *sites_json,
                                                    gint64                      from_ms,
                                                    gint64                      to_ms,
                                                    ConfabAnalyticsTargetFunc   func,
                                                    gpointer                    user_data,
                                                    GError                    **error);

G_END_DECLS
