/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-cluster.h: the hub on several relays — what it publishes on the Redis bus after each
 * commit, and how frames from other relays reach this relay's clients (relay/cluster/README.md).
 * Every function is a no-op when the relay has no bus ([cluster] redis empty). */
#pragma once

#include "confab-hub.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _HubCluster HubCluster;

void     hub_cluster_init            (ConfabHub   *hub);
void     hub_cluster_free            (ConfabHub   *hub);

/* A local client of @site_id came or went: the relay hears the site's channel while it has one. */
void     hub_cluster_site_joined     (ConfabHub   *hub,
                                      const char  *site_id);
void     hub_cluster_site_left       (ConfabHub   *hub,
                                      const char  *site_id);

/* The batch (@sending: its Outgoing*) is durable and about to be sent: events other relays
 * committed before it go out first, and the other relays hear that the log grew. */
void     hub_cluster_batch_committed (ConfabHub   *hub,
                                      GPtrArray   *sending);

/* A live-only frame for the site's agents / the visitor's tabs, sent here and on every relay. */
void     hub_cluster_fanout_agents   (ConfabHub   *hub,
                                      const char  *site_id,
                                      const char  *text);
void     hub_cluster_fanout_visitor  (ConfabHub   *hub,
                                      const char  *site_id,
                                      const char  *visitor_id,
                                      JsonObject  *frame);

/* Tells the other relays of a change the hub applies locally (@frame: {"type":…} with what
 * they need, on @site_id's channel or, NULL, the relay-wide one). Nothing while the hub is
 * applying a frame from another relay. */
void     hub_cluster_tell            (ConfabHub   *hub,
                                      const char  *site_id,
                                      JsonObject  *frame);

/* An agent's presence changed ("offline" when its last socket closed). */
void     hub_cluster_presence        (ConfabHub   *hub,
                                      const char  *user_id,
                                      const char  *name,
                                      GPtrArray   *site_ids,
                                      const char  *status);
/* What the team sees of @user_id whose sockets here are @status ("offline": none left): online
 * when any socket anywhere is. */
const char *hub_cluster_effective_status (ConfabHub *hub,
                                      const char  *user_id,
                                      const char  *status);
/* Adds the agents online on other relays to @users (user id set) for @site_id. */
void     hub_cluster_add_remote_online (ConfabHub *hub,
                                      const char  *site_id,
                                      GHashTable  *users);
/* @user_id's status on @site_id over every relay ("online", "away", "busy", "offline"), as this
 * relay knows it now; NULL without a bus. */
const char *hub_cluster_team_status (ConfabHub *hub,
                                      const char  *site_id,
                                      const char  *user_id);
/* Sends @client the presence of the agents of its sites on other relays not in @seen. */
void     hub_cluster_send_team_presence (ConfabHub *hub,
                                      gpointer     client,
                                      GHashTable  *seen);

G_END_DECLS
