/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-chat.h: issue 14's everyday chat in the store — internal notes
 * (sqlite/confab-store-notes.c), labels (sqlite/confab-store-labels.c), search over message
 * bodies and agents' avatars (sqlite/confab-store-search.c).
 *
 * SQLite only for now: the PostgreSQL schema has the tables (confab-pg-schema.c, v5), the
 * PostgreSQL backend does not implement these calls yet. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* --- internal notes: the team's, never a visitor's --- */
typedef struct {
  char   *id;
  char   *conversation_id;
  char   *author_id;       /* NULL once the user was deleted */
  char   *author_name;
  char   *client_id;
  char   *body;
  char   *mentions_json;   /* JSON array of {"id","name"} */
  gint64  created_at;
} ConfabNote;

void confab_note_free (ConfabNote *note);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabNote, confab_note_free)

/* Stores a note. The same author and @client_id again with the same body returns the stored
 * note with *@out_duplicate TRUE; with another body it fails with CONFLICT. */
ConfabNote  *confab_store_add_note          (ConfabStore  *store,
                                             const char   *conversation_id,
                                             const char   *author_id,
                                             const char   *author_name,
                                             const char   *client_id,
                                             const char   *body,
                                             const char   *mentions_json,
                                             gboolean     *out_duplicate,
                                             GError      **error);
/* Oldest first. Element type: ConfabNote*. */
GPtrArray   *confab_store_list_notes        (ConfabStore  *store,
                                             const char   *conversation_id,
                                             GError      **error);

/* --- labels --- */
typedef struct {
  char   *id;
  char   *site_id;
  char   *name;
  char   *color;           /* "#rrggbb" */
  gint64  created_at;
} ConfabLabel;

void confab_label_free (ConfabLabel *label);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabLabel, confab_label_free)

/* EXISTS: the site has a label of that name (case-insensitively). */
ConfabLabel *confab_store_create_label      (ConfabStore  *store,
                                             const char   *site_id,
                                             const char   *name,
                                             const char   *color,
                                             GError      **error);
ConfabLabel *confab_store_get_label         (ConfabStore  *store,
                                             const char   *label_id,
                                             GError      **error);     /* NOT_FOUND */
/* By name. Element type: ConfabLabel*. */
GPtrArray   *confab_store_list_labels       (ConfabStore  *store,
                                             const char   *site_id,
                                             GError      **error);
/* Changes what is non-NULL. EXISTS, NOT_FOUND. */
ConfabLabel *confab_store_update_label      (ConfabStore  *store,
                                             const char   *label_id,
                                             const char   *name,
                                             const char   *color,
                                             GError      **error);
/* Takes the label off every conversation too. NOT_FOUND. */
gboolean     confab_store_delete_label      (ConfabStore  *store,
                                             const char   *label_id,
                                             GError      **error);
/* The conversation's labels, by name. Element type: ConfabLabel*. */
GPtrArray   *confab_store_list_conversation_labels (ConfabStore *store,
                                             const char   *conversation_id,
                                             GError      **error);
/* Replaces the conversation's labels by @label_ids (NULL-terminated, may be empty), all or
 * nothing: NOT_FOUND when one is no label of @site_id. */
gboolean     confab_store_set_conversation_labels (ConfabStore *store,
                                             const char   *site_id,
                                             const char   *conversation_id,
                                             const char * const *label_ids,
                                             GError      **error);
/* The ids of the site's conversations with @label_id, as confab_store_list_conversations()
 * orders and pages them. Element type: char*. */
GPtrArray   *confab_store_list_labelled_conversations (ConfabStore *store,
                                             const char   *site_id,
                                             const char   *label_id,
                                             const ConfabConversationStatus *status,
                                             gint64        before_ms,
                                             guint         limit,
                                             GError      **error);

/* --- search over message bodies --- */
typedef struct {
  char             *conversation_id;
  char             *site_id;
  gint64            seq;
  gint64            cursor;
  ConfabSenderType  sender_type;
  char             *sender_name;
  char             *body;
  gint64            created_at;
} ConfabSearchHit;

void confab_search_hit_free (ConfabSearchHit *hit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabSearchHit, confab_search_hit_free)

/* Messages matching the FTS5 query @match (built by the caller from quoted terms only) in the
 * sites @user_id belongs to (only @site_id when set), newest first, cursor < @before_cursor
 * when it is > 0. Element type: ConfabSearchHit*. */
GPtrArray   *confab_store_search_messages   (ConfabStore  *store,
                                             const char   *user_id,
                                             const char   *site_id,
                                             const char   *match,
                                             gint64        before_cursor,
                                             guint         limit,
                                             GError      **error);

/* --- agents' avatars and the widget's team header --- */
/* @sha256 NULL removes it. NOT_FOUND. */
gboolean     confab_store_set_avatar        (ConfabStore  *store,
                                             const char   *user_id,
                                             const char   *sha256,
                                             GError      **error);
/* The avatar's sha256, or NULL (no error) when the user has none. */
char        *confab_store_get_avatar        (ConfabStore  *store,
                                             const char   *user_id,
                                             GError      **error);
/* Whether any user still has the avatar @sha256 (its file may go otherwise). */
gboolean     confab_store_avatar_in_use     (ConfabStore  *store,
                                             const char   *sha256);
/* The members (ConfabUser*: id, email, name) of the site who answered its latest 500
 * conversations, the latest answer first, at most @limit. */
GPtrArray   *confab_store_list_recent_answerers (ConfabStore *store,
                                             const char   *site_id,
                                             guint         limit,
                                             GError      **error);
/* The first-response times (ms) of the site's last @limit answered conversations among its
 * latest 500, in no particular order. Element type: gint64 in a GArray. */
GArray      *confab_store_recent_first_responses (ConfabStore *store,
                                             const char   *site_id,
                                             guint         limit,
                                             GError      **error);

G_END_DECLS
