/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-assistant.h: agent assist's REST routes (confab-api-assistant.c) */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* "suggest-reply" and "summary" under /conversations/{id}/ */
gboolean confab_api_assistant_is_conversation_resource (const char               *name);
/* POST /conversations/{id}/@name, the conversation being one of the user's sites'. */
void     confab_api_assistant_conversation_resource    (ConfabApiCall            *call,
                                                        const ConfabConversation *conversation,
                                                        const char               *name);

G_END_DECLS
