/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-paths.h: where the relay finds the files installed beside it */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The folder with the built widget (widget.js, widget-full.js) when [widget] dir says nothing:
 * <datadir>/confab/widget of the installed tree the relay runs from, or the build directory's
 * widget/ when it runs uninstalled. */
const char *confab_paths_widget_dir   (void);
/* Whether this relay was built with its widget (meson -Dwidget=true). */
gboolean    confab_paths_have_widget  (void);
/* The folder of .mmdb files looked in after <data-dir>/geo/: <datadir>/confab/geo of the
 * installed tree, or the source tree's geo database (scripts/install-deps) when uninstalled. */
const char *confab_paths_geo_dir      (void);
/* The data directory when neither --data-dir, $STATE_DIRECTORY nor the config file names one:
 * <localstatedir>/lib/confab for an installed relay, ./var for an uninstalled one. */
const char *confab_paths_data_dir     (void);
/* The config file read when --config names none (and it exists): <sysconfdir>/confab/relay.conf
 * for an installed relay; NULL for an uninstalled one. */
const char *confab_paths_config_file  (void);

G_END_DECLS
