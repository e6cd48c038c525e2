/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-widget-assets.h: serves the built website widget, /widget.js and /widget-full.js */
#pragma once

#include "confab-relay.h"

G_BEGIN_DECLS

/* Registers GET /widget.js and GET /widget-full.js, read from relay->config->widget_dir
 * (written by widget/build.mjs). A file is read and gzipped once, and again only when it
 * changes on disk, so that a rebuilt widget is served without restarting the relay. */
void confab_widget_assets_register (ConfabRelay *relay);

G_END_DECLS
