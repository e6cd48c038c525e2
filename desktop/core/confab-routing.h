/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-routing.h: issue 18 in the cache — a conversation's team, its place in the queue and
 * the response target running on it, the sites' teams and the user's load.
 *
 * The relay's conversation object carries "team" ({"id","key","name"} or null), "queued_at"
 * (time or null), "queue_position" (1 = next, or null) and "target" ({"kind","due_at","state"}
 * or null). They go into the conversation's `routing` column as one JSON object with the times
 * as Unix ms ({"team":…,"queued_at":ms,"queue_position":n,"target":{"kind","due_at":ms,
 * "state"}}); a member the relay did not send (an older relay, or one with routing but no
 * targets) keeps what was there. ConfabConversation's "routing" property is that text;
 * confab_routing_from_conversation() reads it. */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-cache.h"

G_BEGIN_DECLS

typedef enum {
  CONFAB_TARGET_NONE,    /* no target running: the visitor's turn, or none set */
  CONFAB_TARGET_OK,
  CONFAB_TARGET_NEAR,    /* 80 % of the target gone */
  CONFAB_TARGET_MISSED,
} ConfabTargetState;

typedef struct {
  char              *team_id;       /* NULL: no team */
  char              *team_key;
  char              *team_name;
  gint64             queued_at;     /* Unix ms; 0: not in the queue */
  int                queue_position; /* 1 = next; 0: not in the queue or not said */
  char              *target_kind;   /* "first_response", "next_response"; NULL: none */
  gint64             target_due_at; /* Unix ms */
  ConfabTargetState  target_state;
} ConfabRouting;

/* Never NULL: an empty one for NULL or malformed text. */
ConfabRouting    *confab_routing_parse             (const char          *json);
ConfabRouting    *confab_routing_from_conversation (ConfabConversation  *conversation);
/* The same, parsed once and kept with the (immutable) conversation: not to be freed. */
const ConfabRouting *confab_routing_peek           (ConfabConversation  *conversation);
void              confab_routing_free              (ConfabRouting       *routing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabRouting, confab_routing_free)

/* The state of the running target at @now_ms: the relay's, or missed once due_at has passed
 * (the relay's event about it may still be on its way). */
ConfabTargetState confab_routing_target_state_at   (const ConfabRouting *routing,
                                                    gint64               now_ms);
/* "ok", "near", "missed" to the enum; anything else (or NULL) is CONFAB_TARGET_NONE. */
ConfabTargetState confab_target_state_from_string  (const char          *state);

/* Inside the caller's transaction (confab_cache_apply_conversation). */
gboolean          confab_cache_store_routing       (ConfabCache         *self,
                                                    const char          *conversation_id,
                                                    JsonObject          *conversation,
                                                    GError             **error);

/* The queue: open conversations with a queued_at, of @site_id (NULL: every site) and @team_id
 * (NULL: any team), oldest in the queue first; a new GListStore of ConfabConversation (1000 at
 * most). */
GListModel       *confab_cache_list_queued         (ConfabCache         *self,
                                                    const char          *site_id,
                                                    const char          *team_id);
/* The user's load: open and pending conversations assigned to @agent_id on @site_id (NULL:
 * every site). */
guint             confab_cache_count_load          (ConfabCache         *self,
                                                    const char          *agent_id,
                                                    const char          *site_id);
/* Does the relay route on @site_id (NULL: on any site)? It says the user's max_chats then. */
gboolean          confab_cache_has_routing         (ConfabCache         *self,
                                                    const char          *site_id);

/* A site's teams as the relay last sent them (GET …/teams or the `teams` frame), kept in the
 * cache so that the filter shows them offline; NULL when none were heard of. */
gboolean          confab_cache_set_teams           (ConfabCache         *self,
                                                    const char          *site_id,
                                                    JsonArray           *teams,
                                                    GError             **error);
JsonArray        *confab_cache_dup_teams           (ConfabCache         *self,
                                                    const char          *site_id);

G_END_DECLS
