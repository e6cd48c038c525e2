/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-admin.h: `confab-relay admin …`, for first start and scripting */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @argv[0] is "admin". Returns the process exit status. */
int confab_admin_main (int    argc,
                       char **argv);

G_END_DECLS
