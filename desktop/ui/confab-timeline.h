/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-timeline.h: a conversation's timeline event ({"kind","actor","target","at",...}, as the
 * relay sends it) in words: "Anna assigned this to Ben", "Resolved by Anna", "Rated 4/5 — …". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @event_json: the event as JSON text. Never NULL: an event of a newer relay says its kind. */
char *confab_timeline_describe (const char *event_json);

G_END_DECLS
