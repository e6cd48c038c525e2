/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-admin.h: `confab-relay admin …`, for first start and scripting */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @argv[0] is "admin". Returns the process exit status. */
int confab_admin_main (int    argc,
                       char **argv);

/* `admin migrate-store` (confab-admin-migrate.c): @argv[0] is "migrate-store". */
gboolean confab_admin_migrate_store (int      argc,
                                     char   **argv,
                                     GError **error);

G_END_DECLS
