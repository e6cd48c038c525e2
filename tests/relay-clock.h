/* SPDX-License-Identifier: GPL-3.0-or-later */
/* relay-clock.h: the relay's test clock (CONFAB_TEST_CLOCK, relay/confab-targets.h) for tests
 * that would otherwise sleep: a file of milliseconds the relay adds to its time, read at start
 * and again on SIGUSR2. Rate limits refill and webhook retries come due by it. */
#pragma once

#include "relay-harness.h"

G_BEGIN_DECLS

typedef struct _TestClock TestClock;

/* A clock at +0 ms, in a new temporary directory (removed by test_clock_free()). */
TestClock  *test_clock_new             (void);
void        test_clock_free            (TestClock      *clock);
/* A world whose relay runs on @clock. */
TestWorld  *test_world_new_on_clock    (TestClock      *clock,
                                        const char     *extra_config,
                                        TestWorldFlags  flags);
/* Starts @relay (again) on @clock. */
void        test_relay_start_on_clock  (TestRelay      *relay,
                                        TestClock      *clock);
/* Moves @clock @ms on. When @relay runs, signals it and waits for its word that every frame,
 * request and timer from now on counts by the new time (without that, the signal and a frame
 * sent after it may be handled in either order). */
void        test_clock_advance         (TestClock      *clock,
                                        TestRelay      *relay,
                                        gint64          ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestClock, test_clock_free)

G_END_DECLS
