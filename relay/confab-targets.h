/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-targets.h: the clock of response-time targets (confab-store-targets.h): a timer at the
 * next time a running target turns near or missed, which then tells agents (a `conversation`
 * event per conversation). Test builds (-Dtests=true) take CONFAB_TEST_CLOCK from the
 * environment: a file holding milliseconds added to the real time, read at start and again on
 * SIGUSR2, so that tests move time on instead of sleeping. The rate limits
 * (confab_rate_limit_now_ms()) and webhook retries count by the same offset. */
#pragma once

#include "confab-relay.h"

G_BEGIN_DECLS

ConfabTargets *confab_targets_new     (ConfabRelay   *relay);
void           confab_targets_free    (ConfabTargets *targets);
/* A target started: the timer looks again for the next mark (soon, once per main-loop turn). */
void           confab_targets_changed (ConfabTargets *targets);
/* The targets' time (ms): the real time, plus the test clock's offset in a test build. */
gint64         confab_targets_now     (ConfabTargets *targets);
/* The same time without the targets: the lead score's time on site counts by it too. */
gint64         confab_clock_now_ms    (void);

G_END_DECLS
