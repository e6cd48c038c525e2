/* SPDX-License-Identifier: GPL-3.0-or-later */
/* relay-harness.h: integration tests against a real confab-relay process.
 *
 * The relay binary comes from $CONFAB_RELAY. Each test starts its own relay on 127.0.0.1:0 with
 * a fresh temporary data dir and talks to it over real HTTP and WebSocket (libsoup3 client).
 * Everything is synchronous for the test: the helpers iterate the default main context until
 * what they wait for has happened or a timeout expired.
 *
 * Each test runs in a subprocess of its own (test_harness_add()): a failing assertion or a hang
 * fails that test only, and the relay it started dies with it (PR_SET_PDEATHSIG).
 *
 * Frames: a TestWs queues every JSON frame it receives. Frames whose "type" is in the socket's
 * ignore set (test_ws_ignore(); "pong" by default) are only logged, never queued: that is how a
 * test says which noise it does not care about. test_ws_expect() takes the next queued frame and
 * asserts its type; test_ws_wait_for() searches the queue for a type and leaves the frames before
 * it queued, in order.
 *
 * JSON literals: test_json() and test_ws_sendf() turn every ' of the format into ", so that a
 * frame reads {'type':'ping'}; values given through %s are inserted as they are.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* How long to wait for a frame that must arrive, and for one that must not. */
#define TEST_TIMEOUT_MS 3000
#define TEST_QUIET_MS   400

/* CONFAB_TEST_TIMEOUT_MULTIPLIER (1 when unset): how much slower this run is, e.g. under the
 * sanitizers (scripts/test). Each test's own time limit is multiplied by it. */
guint test_timeout_multiplier (void);

/* --- test registration --- */

void         test_harness_init          (int          *argc,
                                         char       ***argv);
/* Registers @func under @path, run in a subprocess of its own (unless
 * CONFAB_TEST_INPROCESS is set in the environment, handy under gdb). */
void         test_harness_add           (const char   *path,
                                         void        (*func) (void));

/* Whether CONFAB_TEST_STORE=postgresql runs the relays on PostgreSQL (pg-harness.c). */
gboolean     test_store_is_postgresql   (void);

/* Skips the running test for @reason (e.g. the relay lacks an endpoint another branch brings):
 * it is reported skipped, not passed, also from its subprocess. Return from the test after it. */
void         test_harness_skip          (const char   *reason);

/* Iterates the default main context for @ms milliseconds. */
void         test_sleep_ms              (guint         ms);

/* A JSON text from @format with ' turned into ". */
char        *test_json                  (const char   *format,
                                         ...) G_GNUC_PRINTF (1, 2);
/* A new random client_id. */
char        *test_client_id             (void);

/* --- JSON access by dotted path: "sender.type", "conversation.id" --- */

JsonNode    *test_obj_lookup            (JsonObject   *object,
                                         const char   *path);   /* NULL when absent */
gboolean     test_obj_has               (JsonObject   *object,
                                         const char   *path);   /* present and not null */
gboolean     test_obj_is_null           (JsonObject   *object,
                                         const char   *path);   /* present and null */
const char  *test_obj_string_at         (const char   *file,
                                         int           line,
                                         JsonObject   *object,
                                         const char   *path);
gint64       test_obj_int_at            (const char   *file,
                                         int           line,
                                         JsonObject   *object,
                                         const char   *path);
gboolean     test_obj_bool_at           (const char   *file,
                                         int           line,
                                         JsonObject   *object,
                                         const char   *path);
/* An integer or a floating point number, as a double. */
double       test_obj_number_at         (const char   *file,
                                         int           line,
                                         JsonObject   *object,
                                         const char   *path);
JsonObject  *test_obj_object_at         (const char   *file,
                                         int           line,
                                         JsonObject   *object,
                                         const char   *path);
JsonArray   *test_obj_array_at          (const char   *file,
                                         int           line,
                                         JsonObject   *object,
                                         const char   *path);
char        *test_obj_to_string         (JsonObject   *object);

#define test_obj_string(o, p) test_obj_string_at (__FILE__, __LINE__, (o), (p))
#define test_obj_int(o, p)    test_obj_int_at (__FILE__, __LINE__, (o), (p))
#define test_obj_bool(o, p)   test_obj_bool_at (__FILE__, __LINE__, (o), (p))
#define test_obj_number(o, p) test_obj_number_at (__FILE__, __LINE__, (o), (p))
#define test_obj_object(o, p) test_obj_object_at (__FILE__, __LINE__, (o), (p))
#define test_obj_array(o, p)  test_obj_array_at (__FILE__, __LINE__, (o), (p))

/* --- the relay process --- */

typedef struct _TestRelay TestRelay;

/* A relay in a new temporary directory; not started yet. @extra_config is GKeyFile text merged
 * over the harness defaults (which raise every rate limit out of the way); may be NULL. */
TestRelay   *test_relay_new             (const char   *extra_config);
/* Same, but with the data dir @data_dir (kept when the relay is freed). */
TestRelay   *test_relay_new_full        (const char   *extra_config,
                                         const char   *data_dir);
/* Starts it (again: a restart keeps the data dir, the port changes) and waits for
 * "listening on http://HOST:PORT"; fails the test with the relay's stderr when that does not
 * come. */
void         test_relay_start           (TestRelay    *relay);
/* Starts it again on the port it had (a client reconnecting to the same address). */
void         test_relay_start_same_port (TestRelay    *relay);
/* SIGTERM; asserts a clean exit with status 0 within 10 s. */
void         test_relay_stop            (TestRelay    *relay);
/* SIGKILL, and waits for the process to be gone. */
void         test_relay_kill            (TestRelay    *relay);
/* Sends @signum to the running relay (SIGUSR2: read CONFAB_TEST_CLOCK again, confab-targets.h). */
void         test_relay_send_signal     (TestRelay    *relay,
                                         int           signum);
/* Replaces the extra config for the next start. */
void         test_relay_set_extra_config (TestRelay   *relay,
                                         const char   *extra_config);
/* Stops (SIGTERM, clean exit asserted) when running, removes the temporary directory. */
void         test_relay_free            (TestRelay    *relay);

gboolean     test_relay_is_running      (TestRelay    *relay);
const char  *test_relay_base_url        (TestRelay    *relay);  /* "http://127.0.0.1:PORT" */
/* CONFAB_TEST_STORE=postgresql: the relay's database (a libpq URI); NULL on SQLite. */
const char  *test_relay_store_url       (TestRelay    *relay);
/* Runs @sql (no parameters) on the relay's PostgreSQL database, as an operator would; asserts
 * it succeeds and returns the rows it changed. */
gint64       test_relay_pg_exec         (TestRelay    *relay,
                                         const char   *sql);
const char  *test_relay_data_dir        (TestRelay    *relay);
const char  *test_relay_tmp_dir         (TestRelay    *relay);  /* scratch space of the test */
/* Everything the relay printed on stderr so far. */
char        *test_relay_get_stderr      (TestRelay    *relay);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestRelay, test_relay_free)

/* --- admin CLI --- */

/* Runs `$CONFAB_RELAY admin ARG...` (NULL-terminated) and returns its exit status (-1 when it died
 * of a signal); @out_stdout / @out_stderr may be NULL. */
int          test_relay_admin           (TestRelay    *relay,
                                         char        **out_stdout,
                                         char        **out_stderr,
                                         const char   *first_arg,
                                         ...) G_GNUC_NULL_TERMINATED;
/* Writes @password to a file and runs admin create-user; asserts exit 0 and returns the
 * printed object (id, email, name). @name may be NULL. */
JsonObject  *test_relay_create_user     (TestRelay    *relay,
                                         const char   *email,
                                         const char   *password,
                                         const char   *name);
/* admin create-site; @domains may be NULL. Asserts exit 0 and returns the printed object
 * (id, name, site_key, domains). */
JsonObject  *test_relay_create_site     (TestRelay    *relay,
                                         const char   *owner_email,
                                         const char   *name,
                                         const char * const *domains);

/* --- HTTP --- */

typedef struct {
  guint        status;
  SoupMessage *message;
  GBytes      *body;
  JsonNode    *json;    /* the parsed body, NULL when it is not JSON */
} TestResponse;

void          test_response_free        (TestResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestResponse, test_response_free)

/* @token may be NULL; @json_body (JSON text, sent as application/json) may be NULL; then
 * pairs of header name, value, then NULL. */
TestResponse *test_http                 (TestRelay    *relay,
                                         const char   *method,
                                         const char   *path,
                                         const char   *token,
                                         const char   *json_body,
                                         ...) G_GNUC_NULL_TERMINATED;
/* Raw body with its content type (either may be NULL); @headers: name, value, ..., NULL or NULL. */
TestResponse *test_http_bytes           (TestRelay    *relay,
                                         const char   *method,
                                         const char   *path,
                                         const char   *token,
                                         GBytes       *body,
                                         const char   *content_type,
                                         const char * const *headers);
/* The body as an object; asserts it is one. */
JsonObject   *test_response_object_at   (const char   *file,
                                         int           line,
                                         TestResponse *response);
#define test_response_object(r) test_response_object_at (__FILE__, __LINE__, (r))
/* error.code of an error body, or NULL. */
const char   *test_response_error_code  (TestResponse *response);
const char   *test_response_header      (TestResponse *response,
                                         const char   *name);
char         *test_response_text        (TestResponse *response);

/* Asserts status @status and, when @code is not NULL, error.code @code. */
#define test_assert_http_error(r, st, code) G_STMT_START {                               \
    TestResponse *r__ = (r);                                                            \
    if (r__->status != (guint) (st))                                                    \
      {                                                                                 \
        g_autofree char *t__ = test_response_text (r__);                                \
        g_printerr ("unexpected response %u: %s\n", r__->status, t__);                  \
      }                                                                                 \
    g_assert_cmpuint (r__->status, ==, (st));                                           \
    if ((code) != NULL)                                                                 \
      g_assert_cmpstr (test_response_error_code (r__), ==, (code));                     \
  } G_STMT_END

#define test_assert_http_status(r, st) test_assert_http_error (r, st, NULL)

/* POST /api/v1/auth/login; asserts 200 and returns the token. */
char         *test_relay_login          (TestRelay    *relay,
                                         const char   *email,
                                         const char   *password);

/* --- WebSocket --- */

typedef struct _TestWs TestWs;

/* Connects to /ws/widget?site_key=@site_key with an optional Origin. Returns NULL when the
 * upgrade is refused, with the HTTP status in @out_status (0 when no response came). */
TestWs      *test_ws_try_widget         (TestRelay    *relay,
                                         const char   *site_key,
                                         const char   *origin,
                                         guint        *out_status);
/* Same, with request headers (name, value, ..., NULL) such as X-Forwarded-For or User-Agent. */
TestWs      *test_ws_try_widget_with_headers (TestRelay *relay,
                                         const char   *site_key,
                                         const char * const *headers,
                                         guint        *out_status);
/* Connects to /ws/agent with "Authorization: Bearer @token" (no header when NULL). */
TestWs      *test_ws_try_agent          (TestRelay    *relay,
                                         const char   *token,
                                         guint        *out_status);
/* Same, asserting that the upgrade succeeds. */
TestWs      *test_ws_widget_at          (const char   *file,
                                         int           line,
                                         TestRelay    *relay,
                                         const char   *site_key);
TestWs      *test_ws_agent_at           (const char   *file,
                                         int           line,
                                         TestRelay    *relay,
                                         const char   *token);
#define test_ws_widget(r, k) test_ws_widget_at (__FILE__, __LINE__, (r), (k))
#define test_ws_agent(r, t)  test_ws_agent_at (__FILE__, __LINE__, (r), (t))

/* A name for messages ("visitor", "agent B", ...). */
void         test_ws_set_name           (TestWs       *ws,
                                         const char   *name);
/* Adds types to the ignore set (NULL-terminated). */
void         test_ws_ignore             (TestWs       *ws,
                                         const char   *type,
                                         ...) G_GNUC_NULL_TERMINATED;
void         test_ws_unignore           (TestWs       *ws,
                                         const char   *type);

void         test_ws_send               (TestWs       *ws,
                                         const char   *text);
void         test_ws_sendf              (TestWs       *ws,
                                         const char   *format,
                                         ...) G_GNUC_PRINTF (2, 3);

/* The next queued frame (new reference), waiting up to @timeout_ms; NULL when none came. */
JsonObject  *test_ws_next               (TestWs       *ws,
                                         guint         timeout_ms);
/* The first queued frame of @type (new reference), waiting up to @timeout_ms; the frames before
 * it stay queued. NULL when none came. */
JsonObject  *test_ws_find               (TestWs       *ws,
                                         const char   *type,
                                         guint         timeout_ms);
/* The first queued frame of @type whose string field at @path equals @value. */
JsonObject  *test_ws_find_match         (TestWs       *ws,
                                         const char   *type,
                                         const char   *path,
                                         const char   *value,
                                         guint         timeout_ms);
/* Asserting versions: the next frame must be of @type / a frame of @type must come. */
JsonObject  *test_ws_expect_at          (const char   *file,
                                         int           line,
                                         TestWs       *ws,
                                         const char   *type,
                                         guint         timeout_ms);
JsonObject  *test_ws_wait_for_at        (const char   *file,
                                         int           line,
                                         TestWs       *ws,
                                         const char   *type,
                                         guint         timeout_ms);
JsonObject  *test_ws_wait_for_match_at   (const char   *file,
                                         int           line,
                                         TestWs       *ws,
                                         const char   *type,
                                         const char   *path,
                                         const char   *value,
                                         guint         timeout_ms);
/* Waits @ms and asserts that no queued frame has @type (any type when NULL). Frames that
 * did come stay queued. */
void         test_ws_expect_none_at     (const char   *file,
                                         int           line,
                                         TestWs       *ws,
                                         const char   *type,
                                         guint         ms);
/* Waits for an error frame (others stay queued) and asserts its code. */
JsonObject  *test_ws_expect_error_at    (const char   *file,
                                         int           line,
                                         TestWs       *ws,
                                         const char   *code,
                                         guint         timeout_ms);
/* Waits for the connection to close; returns the close code the relay sent. */
gushort      test_ws_wait_closed_at     (const char   *file,
                                         int           line,
                                         TestWs       *ws,
                                         guint         timeout_ms);

#define test_ws_expect(ws, t, ms)       test_ws_expect_at (__FILE__, __LINE__, (ws), (t), (ms))
#define test_ws_wait_for(ws, t, ms)     test_ws_wait_for_at (__FILE__, __LINE__, (ws), (t), (ms))
#define test_ws_wait_for_match(ws, t, p, v, ms) \
  test_ws_wait_for_match_at (__FILE__, __LINE__, (ws), (t), (p), (v), (ms))
#define test_ws_expect_none(ws, t, ms)  test_ws_expect_none_at (__FILE__, __LINE__, (ws), (t), (ms))
#define test_ws_expect_error(ws, c, ms) \
  test_ws_expect_error_at (__FILE__, __LINE__, (ws), (c), (ms))
#define test_ws_wait_closed(ws, ms)     test_ws_wait_closed_at (__FILE__, __LINE__, (ws), (ms))

/* Waits @ms, then takes every queued frame (JsonObject*, owned by the array). */
GPtrArray   *test_ws_drain              (TestWs       *ws,
                                         guint         ms);
/* Number of frames queued right now. */
guint        test_ws_queued             (TestWs       *ws);
/* The text of every frame received so far, ignored ones included (char*, owned by @ws). */
GPtrArray   *test_ws_log                (TestWs       *ws);
gboolean     test_ws_is_open            (TestWs       *ws);
/* Closes normally (1000) and waits for the closing handshake. */
void         test_ws_close              (TestWs       *ws);
void         test_ws_free               (TestWs       *ws);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestWs, test_ws_free)

/* --- protocol conveniences --- */

/* Sends hello (visitor_id/token may be NULL for a new visitor) on @url and returns the welcome. */
JsonObject  *test_visitor_hello         (TestWs       *visitor,
                                         const char   *visitor_id,
                                         const char   *visitor_token,
                                         const char   *url);
/* Sends a message and waits for its ack and its echo (other frames stay queued); asserts they
 * agree; returns the seq. @out_conversation_id may be NULL. */
gint64       test_visitor_say           (TestWs       *visitor,
                                         const char   *body,
                                         char        **out_conversation_id);
/* Sends an agent message on @conversation_id and waits for its ack; returns the seq. */
gint64       test_agent_say             (TestWs       *agent,
                                         const char   *conversation_id,
                                         const char   *body);
/* Sends subscribe and collects the backlog up to synced; returns synced.cursor.
 * @out_backlog (JsonObject*) may be NULL. */
gint64       test_agent_subscribe       (TestWs       *agent,
                                         gint64        after_cursor,
                                         GPtrArray   **out_backlog);

/* --- a whole world: relay, owner, site, agent, visitor --- */

typedef enum {
  TEST_WORLD_DEFAULT    = 0,
  TEST_WORLD_NO_AGENT   = 1 << 0,  /* no agent socket */
  TEST_WORLD_NO_VISITOR = 1 << 1,  /* no visitor socket */
} TestWorldFlags;

typedef struct {
  TestRelay  *relay;
  char       *email;          /* the site owner */
  char       *password;
  char       *user_id;
  char       *token;
  char       *site_id;
  char       *site_key;
  TestWs     *agent;          /* subscribed after cursor 0, synced */
  gint64      synced_cursor;
  TestWs     *visitor;        /* said hello as a new visitor */
  JsonObject *welcome;
  char       *visitor_id;
  char       *visitor_token;
} TestWorld;

/* Starts a relay, creates owner@a.test with a site "Site a" (no domain list), logs in, connects
 * and subscribes the agent, then connects the visitor (hello → welcome). The agent's `visitor`
 * arrival event is consumed when it comes. */
TestWorld   *test_world_new             (const char    *extra_config,
                                         TestWorldFlags flags);
/* Adds owner@@prefix.test with a site "Site @prefix" of their own, logged in. */
void         test_world_add_tenant      (TestWorld     *world,
                                         const char    *prefix,
                                         char         **out_token,
                                         char         **out_site_id,
                                         char         **out_site_key);
void         test_world_free            (TestWorld     *world);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestWorld, test_world_free)

G_END_DECLS
