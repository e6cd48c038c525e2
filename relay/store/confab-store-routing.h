/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-routing.h: teams, agents' limits and the queue (issue 18; sqlite/confab-store-
 * routing.c, postgresql/confab-pg-store-routing.c).
 *
 * A team belongs to one site; agents may be in several. A conversation belongs to at most one
 * team (team_id, NULL: the site's). The queue is stored on the conversation: queue_order
 * (arrival order, smaller first; put back at the head: smaller than every other) and
 * queued_at, both NULL when it does not wait. Each queue is (site, team): the site's own queue
 * is team NULL.
 *
 * confab_store_route_pick () and confab_store_route_assign () are the routing decision: the
 * hub calls them inside one store transaction (confab_store_begin ()), so that an agent's
 * count of open chats cannot change between the pick and the assignment. On PostgreSQL the
 * pick first takes a transaction-scoped advisory lock on the site
 * (pg_advisory_xact_lock (hashtext ('confab-route:' || site_id))), held until the batch
 * commits, so that two relays on one database never decide for one site at the same time. */
#pragma once

#include "confab-store.h"

#include <stdlib.h>

G_BEGIN_DECLS

typedef struct {
  char   *id;
  char   *site_id;
  char   *key;                     /* [a-z0-9-]{1,40}, unique per site */
  char   *name;
  char  **member_ids;              /* user ids, sorted */
  char   *assignment;              /* "inherit", "off", "round_robin", "least_busy" */
  gint64  first_response_seconds;  /* -1: null */
  gint64  next_response_seconds;   /* -1: null */
  gint64  created_at;
} ConfabTeam;

void confab_team_free (ConfabTeam *team);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabTeam, confab_team_free)

/* A team to create, or the fields to change (NULL / FALSE: left as they are). */
typedef struct {
  const char         *name;
  const char         *key;
  const char * const *member_ids;
  const char         *assignment;
  gboolean            set_first_response;
  gint64              first_response_seconds;  /* -1: null */
  gboolean            set_next_response;
  gint64              next_response_seconds;
} ConfabTeamDraft;

/* How a conversation is routed now. */
typedef struct {
  char   *team_id;            /* NULL: none */
  char   *team_key;
  char   *team_name;
  gint64  queued_at;          /* ms; 0: not in the queue */
  gint64  queue_position;     /* 1 = next; 0: not in the queue */
} ConfabRouting;

void confab_routing_clear (ConfabRouting *routing);

/* One waiting conversation of a site, in queue order. */
typedef struct {
  char   *conversation_id;
  char   *visitor_id;
  char   *team_id;            /* NULL: the site's queue */
  gint64  queued_at;
} ConfabQueued;

void confab_queued_free (ConfabQueued *queued);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabQueued, confab_queued_free)

/* EXISTS when the key or the name (case-insensitively) is taken on the site. */
ConfabTeam *confab_store_create_team       (ConfabStore            *store,
                                            const char             *site_id,
                                            const ConfabTeamDraft  *draft,
                                            GError                **error);
ConfabTeam *confab_store_get_team          (ConfabStore            *store,
                                            const char             *team_id,
                                            GError                **error);
/* NOT_FOUND when the site has no team of this key. */
ConfabTeam *confab_store_get_team_by_key   (ConfabStore            *store,
                                            const char             *site_id,
                                            const char             *key,
                                            GError                **error);
/* ConfabTeam*, by name */
GPtrArray  *confab_store_list_teams        (ConfabStore            *store,
                                            const char             *site_id,
                                            GError                **error);
ConfabTeam *confab_store_update_team       (ConfabStore            *store,
                                            const char             *team_id,
                                            const ConfabTeamDraft  *draft,
                                            GError                **error);
/* Its conversations keep going without a team; the queued ones wait in the site's queue,
 * in their order. */
gboolean    confab_store_delete_team       (ConfabStore            *store,
                                            const char             *team_id,
                                            GError                **error);

/* An agent's limit of open + pending assigned chats on @site_id (0: none), and the teams of
 * the site they are in (sorted ids). -1 / NULL on error. */
gint64      confab_store_get_max_chats     (ConfabStore            *store,
                                            const char             *site_id,
                                            const char             *user_id,
                                            GError                **error);
gboolean    confab_store_set_max_chats     (ConfabStore            *store,
                                            const char             *site_id,
                                            const char             *user_id,
                                            gint64                  max_chats,
                                            GError                **error);
char      **confab_store_list_member_teams (ConfabStore            *store,
                                            const char             *site_id,
                                            const char             *user_id,
                                            GError                **error);

/* @out is cleared first; FALSE (NOT_FOUND) when there is no such conversation. */
gboolean    confab_store_get_routing       (ConfabStore            *store,
                                            const char             *conversation_id,
                                            ConfabRouting          *out,
                                            GError                **error);
gboolean    confab_store_set_conversation_team (ConfabStore        *store,
                                            const char             *conversation_id,
                                            const char             *team_id,
                                            GError                **error);
/* Puts the conversation at the end of its queue, or at its head when @at_head; a conversation
 * already queued keeps its place. */
gboolean    confab_store_enqueue           (ConfabStore            *store,
                                            const char             *conversation_id,
                                            gboolean                at_head,
                                            GError                **error);
/* Takes it out of its queue (no error when it was not in one). */
gboolean    confab_store_dequeue           (ConfabStore            *store,
                                            const char             *conversation_id,
                                            GError                **error);
/* The site's queued conversations (ConfabQueued*), in queue order, every team's. */
GPtrArray  *confab_store_list_queue        (ConfabStore            *store,
                                            const char             *site_id,
                                            GError                **error);
/* Of @candidates_json (a JSON array of user ids: the agents online now), the member of
 * @site_id — and of @team_id unless NULL — with fewer open + pending assigned conversations
 * on the site than their max_chats (or none set): for "least_busy" the one with the fewest,
 * else (and on ties) the one the relay assigned a conversation longest ago. NULL without an
 * error when nobody is free. */
char       *confab_store_route_pick        (ConfabStore            *store,
                                            const char             *site_id,
                                            const char             *team_id,
                                            const char             *mode,
                                            const char             *candidates_json,
                                            GError                **error);
/* Gives the conversation to @user_id: the assignee, out of the queue, the time (for handling
 * times) and the member's routed_at (round robin). */
ConfabConversation *confab_store_route_assign (ConfabStore         *store,
                                            const char             *conversation_id,
                                            const char             *user_id,
                                            GError                **error);
/* The conversation was resolved or closed: its handling time (assignment to now) is kept for
 * estimates, once. */
gboolean    confab_store_record_handling   (ConfabStore            *store,
                                            const char             *conversation_id,
                                            GError                **error);
/* The median of the last 50 handling times of @team_id's conversations (NULL: those without
 * a team) on @site_id, in ms; 0 without data, -1 on error. */
gint64      confab_store_median_handling   (ConfabStore            *store,
                                            const char             *site_id,
                                            const char             *team_id,
                                            GError                **error);
/* Ids of @user_id's open and pending conversations on @site_id (char*), oldest first. Called
 * inside a transaction to take them back from an absent agent: on PostgreSQL it first takes the
 * site's advisory lock, as confab_store_route_pick () does, so that two relays taking back one
 * agent's chats at once do it once (the second finds none left). */
GPtrArray  *confab_store_list_assigned_open (ConfabStore           *store,
                                            const char             *site_id,
                                            const char             *user_id,
                                            GError                **error);
/* The user ids (char*, sorted) to whom open or pending conversations of @site_id are assigned. */
GPtrArray  *confab_store_list_assignees    (ConfabStore            *store,
                                            const char             *site_id,
                                            GError                **error);
/* Up to @limit ids (char*, sorted) of the sites after @after_site_id (NULL: from the first)
 * with open or pending conversations assigned to someone: the sites a relay sweeps for absent
 * agents' chats when nobody is connected to them (confab-hub-cluster.c), a page per round. */
GPtrArray  *confab_store_list_assigned_sites (ConfabStore          *store,
                                              const char           *after_site_id,
                                              guint                 limit,
                                              GError              **error);

/* The median of @n values (sorted here), 0 when there are none. */
static inline int
confab_routing_compare_ms (gconstpointer a,
                           gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static inline gint64
confab_median_ms (gint64 *values,
                  guint   n)
{
  if (n == 0)
    return 0;
  qsort (values, n, sizeof (gint64), confab_routing_compare_ms);
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

G_END_DECLS
