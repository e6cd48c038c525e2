/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-retention.h: the per-site retention (site setting "retention_days"): resolved and
 * closed conversations whose last activity is older are purged with their uploads, at start
 * and every 24 hours (confab-retention.c). */
#pragma once

#include "confab-relay.h"

G_BEGIN_DECLS

/* Rows (messages, about) purged per main-loop turn: each batch is one short transaction, so
 * visitors' and agents' frames go on between two (bench/retention-purge.sh). */
#define CONFAB_RETENTION_BATCH 200

ConfabRetention *confab_retention_new  (ConfabRelay     *relay);
void             confab_retention_free (ConfabRetention *retention);

G_END_DECLS
