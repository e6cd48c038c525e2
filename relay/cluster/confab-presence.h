/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-presence.h: which agents are connected to which relay, kept in Redis with an expiry */
#pragma once

#include <gio/gio.h>

#include "confab-bus.h"

G_BEGIN_DECLS

typedef struct {
  char *agent_id;
  char *node;     /* the relay the agent is connected to */
  char *status;   /* as the hub gave it: "online", "away" */
} ConfabPresenceEntry;

void confab_presence_entry_free (ConfabPresenceEntry *entry);

#define CONFAB_TYPE_PRESENCE (confab_presence_get_type ())
G_DECLARE_FINAL_TYPE (ConfabPresence, confab_presence, CONFAB, PRESENCE, GObject)

/* Entries live @ttl_ms after this relay last refreshed them (every @ttl_ms / 3): a relay that
 * dies takes its agents with it within @ttl_ms. */
ConfabPresence *confab_presence_new         (ConfabBus           *bus,
                                             guint                ttl_ms);
/* This relay's agents: written at once when the link is up, else when it is back. */
void            confab_presence_set         (ConfabPresence      *presence,
                                             const char          *site_id,
                                             const char          *agent_id,
                                             const char          *status);
void            confab_presence_remove      (ConfabPresence      *presence,
                                             const char          *site_id,
                                             const char          *agent_id);
/* Every relay's live agents of @site_id (this one's too): a GPtrArray of ConfabPresenceEntry. */
void            confab_presence_list_async  (ConfabPresence      *presence,
                                             const char          *site_id,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GPtrArray      *confab_presence_list_finish (ConfabPresence      *presence,
                                             GAsyncResult        *result,
                                             GError             **error);

G_END_DECLS
