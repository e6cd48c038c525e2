/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-account.h: one relay account the app is signed in to (or about to be): its cache,
 * its client, and what the UI shares about it (thumbnails in memory, the canned responses). */
#pragma once

#include <gdk/gdk.h>

#include "confab-cache.h"
#include "confab-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ACCOUNT (confab_account_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAccount, confab_account, CONFAB, ACCOUNT, GObject)

/* Opens the account's cache (synchronous: a few ms) so that the inbox shows at once. */
ConfabAccount *confab_account_new             (const char     *relay_url,
                                               const char     *email,
                                               GError        **error);
const char    *confab_account_get_relay_url   (ConfabAccount  *self);
const char    *confab_account_get_email       (ConfabAccount  *self);
ConfabCache   *confab_account_get_cache       (ConfabAccount  *self);
ConfabClient  *confab_account_get_client      (ConfabAccount  *self);
/* "relay\nemail", as the settings and the keyring list it. */
char          *confab_account_dup_key         (ConfabAccount  *self);

/* The thumbnail of @upload_id as a texture (memory, then the cache, then the relay); the
 * callback gets NULL when it could not be had. */
typedef void (*ConfabTextureCallback) (GdkTexture *texture,
                                       gpointer    user_data);
void           confab_account_load_thumbnail  (ConfabAccount        *self,
                                               const char           *upload_id,
                                               GCancellable         *cancellable,
                                               ConfabTextureCallback callback,
                                               gpointer              user_data);

/* The canned responses of @site_id ({"shortcut","body"} objects), fetched once per site and
 * kept; NULL until they came. */
JsonArray     *confab_account_get_canned      (ConfabAccount  *self,
                                               const char     *site_id);

G_END_DECLS
