/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pg-harness.h: throwaway PostgreSQL 15 and Redis 7 servers for tests (issue 13).
 *
 * Each starts in its own temporary directory on a free port on 127.0.0.1 (PostgreSQL also on a
 * Unix socket in that directory), waits until it answers, and is stopped and removed by its
 * _stop (). PostgreSQL refuses to run as root, and tests run as root in CI: then both run as
 * the unprivileged user "nobody" with the directory handed to it. Every server dies with the
 * test process (PR_SET_PDEATHSIG), so a crashed test leaves none behind.
 *
 * When the binaries are missing, _start () fails with G_IO_ERROR_NOT_FOUND and a message naming
 * what to install: tests call g_test_skip () with it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PgServer PgServer;
typedef struct _RedisServer RedisServer;

/* Where the PostgreSQL 15 binaries are: $CONFAB_PG_BINDIR, else Debian's
 * /usr/lib/postgresql/15/bin. */
const char  *pg_server_bindir        (void);

/* initdb + postgres (fsync off: a test database need not survive a power cut) and a database
 * "confab" owned by the superuser "confab", reachable without a password from loopback. */
PgServer    *pg_server_start         (GError     **error);
/* postgresql://confab@127.0.0.1:PORT/confab */
const char  *pg_server_get_url       (PgServer    *server);
guint16      pg_server_get_port      (PgServer    *server);
/* the directory of its Unix socket (host=DIR in a libpq connection string) */
const char  *pg_server_get_socket_dir (PgServer   *server);
/* Fast shutdown, then the directory removed. NULL is fine. */
void         pg_server_stop          (PgServer    *server);

/* redis-server --save '' --appendonly no: nothing is written to disk. */
RedisServer *redis_server_start      (GError     **error);
/* redis://127.0.0.1:PORT/0 */
const char  *redis_server_get_url    (RedisServer *server);
guint16      redis_server_get_port   (RedisServer *server);
void         redis_server_stop       (RedisServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PgServer, pg_server_stop)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RedisServer, redis_server_stop)

G_END_DECLS
