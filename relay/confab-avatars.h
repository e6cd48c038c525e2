/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-avatars.h: agents' avatar URLs for every object that names a user (issue 14).
 *
 * The URL carries the picture's hash (?v=…), so that a client may cache it for as long as it
 * likes and still sees a new one at once. Which user has which picture is read from the store
 * once and kept in memory (a few bytes per user who appears), so that naming an agent in a
 * message costs a hash lookup, not a query. One relay process: another relay of a cluster
 * learns of a change when it restarts. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_AVATARS_PATH "/api/v1/avatars"
/* The side of the stored square, in pixels. */
#define CONFAB_AVATAR_SIZE 256
/* The largest image PUT /api/v1/me/avatar reads. */
#define CONFAB_AVATAR_MAX_BYTES (5 * 1024 * 1024)

/* The store the URLs are read from (the relay's); NULL forgets it and what was cached. */
void   confab_avatars_set_store (ConfabStore *store);
/* "/api/v1/avatars/ID?v=HASH", or NULL when the user has no avatar (or no store is set). */
char  *confab_avatar_url        (const char  *user_id);
/* @user_id's avatar is now @sha256 (NULL: none). */
void   confab_avatars_changed   (const char  *user_id,
                                 const char  *sha256);

G_END_DECLS
