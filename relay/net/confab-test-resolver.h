/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-test-resolver.h: a DNS-rebinding name for the tests (test builds only).
 *
 * CONFAB_TEST_REBIND=NAME=ADDRESS makes the relay's default GResolver answer NAME with ADDRESS
 * to a plain lookup — the kind the webhooks' address check makes — and with 127.0.0.1 to the
 * per-family lookups a connection makes (GNetworkAddress's happy eyeballs): a name that is
 * public when checked and loopback when connected, as a rebinding DNS server would answer.
 * Every other name goes to the system's resolver. Release builds (-Dtests=false) ignore it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Installs it when CONFAB_TEST_REBIND is set (test builds only). */
void confab_test_resolver_install (void);

G_END_DECLS
