/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-hub-targets.h: response-time targets turning near and missed, told to agents
 * (confab-targets.c keeps the time) */
#pragma once

#include "confab-hub.h"

G_BEGIN_DECLS

/* Moves every running target whose next mark is at or before @now_ms on, in one transaction
 * with a `conversation` event for each conversation whose target changed state. Returns how
 * many, or -1 with @error set. */
gint64 confab_hub_advance_targets (ConfabHub  *hub,
                                   gint64      now_ms,
                                   GError    **error);

G_END_DECLS
