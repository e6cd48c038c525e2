/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-conversation-list.h: the inbox as a GListModel of ConfabConversation.
 *
 * Filtered and sorted in SQL, loaded in pages (ConfabPageCache): 10,000 cached conversations
 * show at once at start, with or without the network. Follows the cache live: a conversation
 * that changes moves to its new place with items-changed (remove + insert) rather than a
 * reset, so that selection and scroll position survive. */
#pragma once

#include <gio/gio.h>

#include "confab-cache.h"

G_BEGIN_DECLS

typedef enum {
  CONFAB_CONVERSATION_FILTER_ALL,
  CONFAB_CONVERSATION_FILTER_OPEN,
  CONFAB_CONVERSATION_FILTER_PENDING,
  CONFAB_CONVERSATION_FILTER_MINE,        /* assigned to agent-id, open or pending */
  CONFAB_CONVERSATION_FILTER_UNASSIGNED,  /* nobody assigned, open or pending */
  CONFAB_CONVERSATION_FILTER_RESOLVED,    /* resolved or closed */
} ConfabConversationFilter;

typedef enum {
  CONFAB_CONVERSATION_SORT_NEWEST,          /* last message newest first */
  CONFAB_CONVERSATION_SORT_WAITING_LONGEST, /* last message oldest first */
} ConfabConversationSort;

#define CONFAB_TYPE_CONVERSATION_FILTER (confab_conversation_filter_get_type ())
GType confab_conversation_filter_get_type (void);
#define CONFAB_TYPE_CONVERSATION_SORT (confab_conversation_sort_get_type ())
GType confab_conversation_sort_get_type (void);

#define CONFAB_TYPE_CONVERSATION_LIST (confab_conversation_list_get_type ())
G_DECLARE_FINAL_TYPE (ConfabConversationList, confab_conversation_list, CONFAB, CONVERSATION_LIST, GObject)

ConfabConversationList  *confab_conversation_list_new        (ConfabCache            *cache);

/* NULL: all sites (the "All sites" entry). */
void                     confab_conversation_list_set_site_id (ConfabConversationList *self,
                                                               const char             *site_id);
const char              *confab_conversation_list_get_site_id (ConfabConversationList *self);
void                     confab_conversation_list_set_filter (ConfabConversationList *self,
                                                              ConfabConversationFilter filter);
ConfabConversationFilter confab_conversation_list_get_filter (ConfabConversationList *self);
void                     confab_conversation_list_set_sort   (ConfabConversationList *self,
                                                              ConfabConversationSort  sort);
ConfabConversationSort   confab_conversation_list_get_sort   (ConfabConversationList *self);
/* Matches visitor name, email or any message text (case-insensitive for ASCII); NULL or ""
 * for none. */
void                     confab_conversation_list_set_search (ConfabConversationList *self,
                                                              const char             *search);
const char              *confab_conversation_list_get_search (ConfabConversationList *self);
/* Whose conversations "mine" means (the signed-in agent's id). */
void                     confab_conversation_list_set_agent_id (ConfabConversationList *self,
                                                               const char             *agent_id);
/* Position of @conversation_id, or -1 when it is not in the list. */
int                      confab_conversation_list_find       (ConfabConversationList *self,
                                                              const char             *conversation_id);
guint                    confab_conversation_list_get_n_loaded (ConfabConversationList *self);

/* Only the conversations with the label @label_id (NULL: any). */
void        confab_conversation_list_set_label_id (ConfabConversationList *self,
                                                   const char             *label_id);
const char *confab_conversation_list_get_label_id (ConfabConversationList *self);

/* Only the conversations of the team @team_id (NULL: any; issue 18). */
void        confab_conversation_list_set_team_id  (ConfabConversationList *self,
                                                   const char             *team_id);
const char *confab_conversation_list_get_team_id  (ConfabConversationList *self);

G_END_DECLS
