/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-offline-message.h: what a visitor left while nobody was online (the widget's "leave a
 * message"), as the relay's offline_message object has it.
 *
 * Immutable: the cache makes a new object for every change. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_OFFLINE_MESSAGE (confab_offline_message_get_type ())
G_DECLARE_FINAL_TYPE (ConfabOfflineMessage, confab_offline_message, CONFAB, OFFLINE_MESSAGE, GObject)

const char * confab_offline_message_get_id (ConfabOfflineMessage *self);
const char * confab_offline_message_get_site_id (ConfabOfflineMessage *self);
const char * confab_offline_message_get_visitor_id (ConfabOfflineMessage *self);
const char * confab_offline_message_get_name (ConfabOfflineMessage *self);
const char * confab_offline_message_get_email (ConfabOfflineMessage *self);
const char * confab_offline_message_get_body (ConfabOfflineMessage *self);
const char * confab_offline_message_get_page_url (ConfabOfflineMessage *self);
const char * confab_offline_message_get_page_title (ConfabOfflineMessage *self);
gint64       confab_offline_message_get_created_at (ConfabOfflineMessage *self);
const char * confab_offline_message_get_status (ConfabOfflineMessage *self);
const char * confab_offline_message_get_handled_by_id (ConfabOfflineMessage *self);
const char * confab_offline_message_get_handled_by_name (ConfabOfflineMessage *self);
gint64       confab_offline_message_get_handled_at (ConfabOfflineMessage *self);
const char * confab_offline_message_get_conversation_id (ConfabOfflineMessage *self);
/* Still waiting for an answer. */
gboolean     confab_offline_message_is_open (ConfabOfflineMessage *self);

G_END_DECLS
