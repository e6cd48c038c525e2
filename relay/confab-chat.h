/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chat.h: issue 14's objects as JSON — notes, labels — and the @mentions of a note,
 * shared by the hub (the frames) and the REST API (confab-api-chat.c). */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-store.h"
#include "confab-store-chat.h"

G_BEGIN_DECLS

#define CONFAB_NOTE_MAX_CHARS 10000

/* NOTE = {"id","conversation_id","author":{"id","name"},"body","mentions":[{"id","name"}],
 * "created_at"} */
JsonObject *confab_note_to_json            (const ConfabNote  *note);
/* LABEL = {"id","site_id","name","color"} */
JsonObject *confab_label_to_json           (const ConfabLabel *label);
/* The conversation's labels as the conversation object has them: [{"id","name","color"}].
 * Empty on a store error (logged). */
JsonArray  *confab_conversation_labels_json (ConfabStore      *store,
                                             const char       *conversation_id);
/* The site's labels as GET /sites/{id}/labels lists them; NULL with @error set. */
JsonArray  *confab_site_labels_json        (ConfabStore       *store,
                                            const char        *site_id,
                                            GError           **error);
/* The members of @site_id that @body mentions as a JSON array text of {"id","name"}: "@Full
 * Name" (case-insensitive), or "@First" when only one member's name begins with that word. */
char       *confab_note_mentions           (ConfabStore       *store,
                                            const char        *site_id,
                                            const char        *body,
                                            GError           **error);

G_END_DECLS
