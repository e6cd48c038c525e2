/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-migrate.h: `confab-relay migrate`, which creates or upgrades the store's schema */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @argv[0] is "migrate". Returns the process exit status. */
int confab_store_migrate_main (int    argc,
                               char **argv);

G_END_DECLS
