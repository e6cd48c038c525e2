/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-retry.h: POST /conversations/{id}/messages/{seq}/retry (confab-api-retry.c) */
#pragma once

#include "confab-api-admin.h"

G_BEGIN_DECLS

/* TRUE when @rest (after /conversations/{id}/) is messages/{seq}/retry. */
gboolean confab_api_is_message_retry (char                    **rest);
/* The caller is a member of @conversation's site. */
void     confab_api_message_retry    (ConfabApiCall            *call,
                                      const ConfabConversation *conversation,
                                      const char               *seq_text);

G_END_DECLS
