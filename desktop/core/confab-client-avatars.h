/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-client-avatars.h: the agents' pictures (issue 14).
 *
 * The relay names each agent's picture with an `avatar_url` (a path with `?v=` and the
 * picture's hash: a new picture is a new URL; null without one) on the user of /me, each
 * member, an agent message's `sender` and a conversation's `assignee`. The client notes every
 * one it hears (kept in memory and in the cache's meta, so that the rows show them at start,
 * before the network) and emits "avatar-changed" (user_id) when one changes; call
 * confab_client_ensure_avatar_signals() before connecting to it.
 *
 * confab_client_fetch_avatar_async() gives a picture's bytes: from the app's cache directory
 * ($XDG_CACHE_HOME/confab/avatars/, one file per relay and URL, so a new URL is fetched anew
 * and the old file goes), else from the relay (then written there). Never blocks: the file is
 * read and written asynchronously.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

void        confab_client_ensure_avatar_signals  (void);

/* The avatar URL of @user_id: NULL when unknown or when they have none. */
char       *confab_client_dup_avatar_url         (ConfabClient        *self,
                                                  const char          *user_id);
/* What the relay said of @user_id's picture (@url NULL: none). */
void        confab_client_note_avatar            (ConfabClient        *self,
                                                  const char          *user_id,
                                                  const char          *url);
/* Notes the avatar_url of every user object in @frame that carries one: a message's sender, a
 * conversation's assignee, a members list (confab-client.c calls it for each frame); @type
 * "user": @frame is a user object itself (/me). */
void        confab_client_note_avatars_in        (ConfabClient        *self,
                                                  const char          *type,
                                                  JsonObject          *frame);
/* Each member of @members ({"id","avatar_url"} objects, as GET …/members answers). */
void        confab_client_note_member_avatars    (ConfabClient        *self,
                                                  JsonArray           *members);

/* The picture at @url (as the relay gave it); G_IO_ERROR_NOT_FOUND when the relay has none. */
void        confab_client_fetch_avatar_async     (ConfabClient        *self,
                                                  const char          *url,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GBytes     *confab_client_fetch_avatar_finish    (ConfabClient        *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Where the picture at @url is kept: $XDG_CACHE_HOME/confab/avatars/<hash>.png. */
char       *confab_client_avatar_file            (ConfabClient        *self,
                                                  const char          *url);

G_END_DECLS
