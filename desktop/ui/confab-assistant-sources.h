/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-assistant-sources.h: the sources the assistant cited ([{"title","url"}], issue 16) as
 * one line of Pango markup for a label — "Sources: <a>Returns</a> · Shipping times" — shared by
 * the assistant's messages and the composer's suggested reply. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A link for each source with an http(s) URL (a relative one resolved against @relay_url, the
 * relay's help centre), the title alone for one without (a FAQ) or with any other scheme; every
 * text escaped. NULL when @sources is NULL or holds none. */
char *confab_assistant_sources_markup (JsonArray  *sources,
                                       const char *relay_url);

G_END_DECLS
