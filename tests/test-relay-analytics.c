/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-analytics.c: GET /api/v1/sites/{id|all}/analytics and analytics.csv against a real
 * relay, over a history whose every figure is known.
 *
 * The history is written with SQL straight into the running relay's database (the test hook:
 * <data-dir>/confab.db, WAL, as any operator's sqlite3 could), because its times must be exact
 * and in the past: conversations that cross midnight and one on each side of the spring DST
 * change of Europe/Berlin (2026-03-29 is 23 hours long there), bot answers, ratings, timeline
 * events. The relay reads it as it reads its own rows; nothing in the relay knows it is a test.
 * On PostgreSQL (CONFAB_TEST_STORE=postgresql) the same SQL goes to the relay's database, with
 * its three SQLite words in PostgreSQL's (sql () below).
 */

#include "relay-harness.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>

#define PASSWORD "a long password 1"

typedef struct {
  TestRelay *relay;
  sqlite3   *db;
  PGconn    *pg;              /* instead of db on PostgreSQL */
  char      *site_id;
  char      *owner_token;
  char      *admin_token;
  char      *agent_token;
  char      *owner_id;
  char      *admin_id;
  char      *agent_id;
  char      *other_token;     /* owner of another site */
  char      *other_site_id;
  char      *faq1;            /* "Where is my order?" */
  char      *faq2;            /* "Do you ship abroad?" */
  guint      event_seq;
} Fixture;

/* --- writing history --- */

static gint64
ms (const char *iso)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_iso8601 (iso, NULL);

  g_assert_nonnull (time);
  return g_date_time_to_unix (time) * 1000 + g_date_time_get_microsecond (time) / 1000;
}

static void
sql (Fixture    *f,
     const char *format,
     ...)
{
  va_list args;
  char *text;
  char *message = NULL;

  va_start (args, format);
  text = sqlite3_vmprintf (format, args);
  va_end (args);
  if (f->pg != NULL)
    {
      g_autoptr (GString) pg_text = g_string_new (text);
      PGresult *result;

      sqlite3_free (text);
      /* foreign keys are always on; a message's event is the sequence's last value (the
       * fixture gave events.cursor the store's default) */
      if (g_str_has_prefix (pg_text->str, "PRAGMA"))
        return;
      g_string_replace (pg_text, "last_insert_rowid ()", "currval ('events_cursor')", 0);
      g_string_replace (pg_text, "json_object (", "json_build_object (", 0);
      result = PQexec (f->pg, pg_text->str);
      if (PQresultStatus (result) != PGRES_COMMAND_OK)
        g_error ("%s: %s", pg_text->str, PQresultErrorMessage (result));
      PQclear (result);
      return;
    }
  if (sqlite3_exec (f->db, text, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", text, message);
  sqlite3_free (text);
}

static void
visitor (Fixture    *f,
         const char *id,
         const char *site_id,
         const char *first_seen,
         const char *last_seen,
         const char *name)
{
  sql (f, "INSERT INTO visitors (id, site_id, token_hash, name, first_seen, last_seen) "
          "VALUES (%Q, %Q, 'x', %Q, %lld, %lld)",
       id, site_id, name, (long long) ms (first_seen), (long long) ms (last_seen));
}

static void
conversation (Fixture    *f,
              const char *id,
              const char *site_id,
              const char *visitor_id,
              const char *status,
              const char *assignee_id,
              const char *created,
              const char *last_message)
{
  sql (f, "INSERT INTO conversations (id, site_id, visitor_id, status, assignee_id, created_at, "
          "last_message_at) VALUES (%Q, %Q, %Q, %Q, %Q, %lld, %lld)",
       id, site_id, visitor_id, status, assignee_id, (long long) ms (created),
       (long long) ms (last_message));
}

/* A message with its event, as the relay stores one. */
static void
message (Fixture    *f,
         const char *conversation_id,
         int         seq,
         const char *sender_type,
         const char *sender_id,
         const char *body,
         const char *at)
{
  sql (f, "INSERT INTO events (site_id, kind, conversation_id, seq, payload, created_at) "
          "SELECT site_id, 'message', id, %d, '{}', %lld FROM conversations WHERE id = %Q",
       seq, (long long) ms (at), conversation_id);
  sql (f, "INSERT INTO messages (conversation_id, seq, cursor, sender_type, sender_id, body, "
          "created_at) VALUES (%Q, %d, last_insert_rowid (), %Q, %Q, %Q, %lld)",
       conversation_id, seq, sender_type, sender_id, body, (long long) ms (at));
  sql (f, "UPDATE conversations SET last_seq = %d WHERE id = %Q", seq, conversation_id);
}

/* A timeline event as confab-hub-unseen.c stores it */
static void
timeline (Fixture    *f,
          const char *conversation_id,
          const char *kind,
          const char *at)
{
  sql (f, "INSERT INTO events (site_id, kind, conversation_id, payload, created_at) "
          "SELECT site_id, 'timeline', id, json_object ('type', 'timeline', 'site_id', site_id, "
          "'conversation_id', id, 'event', json_object ('kind', %Q, 'actor', NULL, "
          "'target', NULL, 'at', %Q)), %lld FROM conversations WHERE id = %Q",
       kind, at, (long long) ms (at), conversation_id);
}

static void
rating (Fixture    *f,
        const char *conversation_id,
        int         score,
        const char *at)
{
  sql (f, "INSERT INTO ratings (conversation_id, score, created_at) VALUES (%Q, %d, %lld)",
       conversation_id, score, (long long) ms (at));
}

static char *
add_member (Fixture    *f,
            const char *email,
            const char *name,
            const char *role,
            char      **out_token)
{
  g_autoptr (JsonObject) user = test_relay_create_user (f->relay, email, PASSWORD, name);
  g_autofree char *err = NULL;

  g_assert_cmpint (test_relay_admin (f->relay, NULL, &err, "add-member", "--data-dir",
                                     test_relay_data_dir (f->relay), "--site", f->site_id,
                                     "--email", email, "--role", role, NULL), ==, 0);
  *out_token = test_relay_login (f->relay, email, PASSWORD);
  return g_strdup (test_obj_string (user, "id"));
}

static char *
add_faq (Fixture    *f,
         const char *question)
{
  g_autofree char *body = test_json ("{'question':'%s','answer':'See our help pages.'}", question);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/faqs", f->site_id);
  g_autoptr (TestResponse) response = NULL;

  response = test_http (f->relay, "POST", path, f->owner_token, body, NULL);
  test_assert_http_status (response, 201);
  return g_strdup (test_obj_string (test_response_object (response), "id"));
}

static Fixture *
fixture_new (void)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (JsonObject) owner = NULL;
  g_autoptr (JsonObject) site = NULL;
  g_autoptr (JsonObject) other_site = NULL;
  g_autoptr (JsonObject) other = NULL;
  g_autoptr (TestResponse) response = NULL;
  g_autofree char *path = NULL;
  g_autofree char *db_path = NULL;

  f->relay = test_relay_new (NULL);
  test_relay_start (f->relay);

  owner = test_relay_create_user (f->relay, "owner@a.test", PASSWORD, "Olga Owner");
  f->owner_id = g_strdup (test_obj_string (owner, "id"));
  site = test_relay_create_site (f->relay, "owner@a.test", "Site a", NULL);
  f->site_id = g_strdup (test_obj_string (site, "id"));
  f->owner_token = test_relay_login (f->relay, "owner@a.test", PASSWORD);
  f->admin_id = add_member (f, "admin@a.test", "Adam Admin", "admin", &f->admin_token);
  f->agent_id = add_member (f, "agent@a.test", "Ada Agent", "agent", &f->agent_token);

  other = test_relay_create_user (f->relay, "owner@b.test", PASSWORD, "Bo Other");
  other_site = test_relay_create_site (f->relay, "owner@b.test", "Site b", NULL);
  f->other_site_id = g_strdup (test_obj_string (other_site, "id"));
  f->other_token = test_relay_login (f->relay, "owner@b.test", PASSWORD);

  /* the site's days are Berlin's */
  path = g_strdup_printf ("/api/v1/sites/%s", f->site_id);
  response = test_http (f->relay, "PATCH", path, f->owner_token,
                        "{\"settings\":{\"working_hours\":{\"timezone\":\"Europe/Berlin\","
                        "\"days\":{\"mon\":[\"09:00-17:00\"]}}}}", NULL);
  test_assert_http_status (response, 200);

  f->faq1 = add_faq (f, "Where is my order?");
  f->faq2 = add_faq (f, "Do you ship abroad?");

  if (test_store_is_postgresql ())
    {
      f->pg = PQconnectdb (test_relay_store_url (f->relay));
      g_assert_cmpint (PQstatus (f->pg), ==, CONNECTION_OK);
      /* rows written here take their cursor as the store's do */
      sql (f, "ALTER TABLE events ALTER COLUMN cursor SET DEFAULT confab_next_cursor ()");
      return f;
    }
  db_path = g_build_filename (test_relay_data_dir (f->relay), "confab.db", NULL);
  g_assert_cmpint (sqlite3_open (db_path, &f->db), ==, SQLITE_OK);
  sqlite3_busy_timeout (f->db, 10000);
  return f;
}

static void
fixture_free (Fixture *f)
{
  sqlite3_close (f->db);
  g_clear_pointer (&f->pg, PQfinish);
  test_relay_free (f->relay);
  g_free (f->site_id);
  g_free (f->owner_token);
  g_free (f->admin_token);
  g_free (f->agent_token);
  g_free (f->owner_id);
  g_free (f->admin_id);
  g_free (f->agent_id);
  g_free (f->other_token);
  g_free (f->other_site_id);
  g_free (f->faq1);
  g_free (f->faq2);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

/* The spring history around 2026-03-29 (Berlin: 00:00 is 23:00Z until the 28th, 22:00Z from
 * the 30th; 02:00 CET became 03:00 CEST at 01:00Z on the 29th). Expected figures for
 * 2026-03-28..2026-03-30 in Europe/Berlin are in the comments. */
static void
target (Fixture    *f,
        const char *site_id,
        const char *conversation_id,
        const char *kind,
        const char *started_at,
        const char *due_at,
        const char *ended_at,
        const char *outcome)
{
  g_autofree char *ended = ended_at ? g_strdup_printf ("%lld", (long long) ms (ended_at))
                                    : g_strdup ("NULL");

  sql (f, "INSERT INTO response_targets (site_id, conversation_id, kind, started_at, due_at, "
          "ended_at, outcome) VALUES (%Q, %Q, %Q, %lld, %lld, %s, %Q)", site_id, conversation_id,
       kind, (long long) ms (started_at), (long long) ms (due_at), ended, outcome);
}

static void
write_spring_history (Fixture *f)
{
  const char *s = f->site_id;

  sql (f, "BEGIN");
  /* a visitor named like a spreadsheet formula, one with a comma and quotes */
  visitor (f, "vis_a", s, "2026-03-28T09:00:00Z", "2026-03-28T22:50:00Z", "=HYPERLINK(\"http://x\")");
  visitor (f, "vis_b", s, "2026-03-29T01:30:00Z", "2026-03-29T01:30:00Z", NULL);
  visitor (f, "vis_c", s, "2026-03-29T21:59:59Z", "2026-03-29T22:00:00Z", "Doe, \"JJ\"");
  visitor (f, "vis_d", s, "2026-03-27T22:59:59Z", "2026-03-27T22:59:59Z", NULL);
  visitor (f, "vis_e", s, "2026-03-30T22:00:00Z", "2026-03-30T22:00:00Z", NULL);
  /* seen before and after the range; only vis_f has a page view in it */
  visitor (f, "vis_f", s, "2026-03-20T10:00:00Z", "2026-04-02T10:00:00Z", NULL);
  visitor (f, "vis_g", s, "2026-03-20T10:00:00Z", "2026-04-02T10:00:00Z", NULL);
  sql (f, "INSERT INTO page_views (visitor_id, url, at) VALUES ('vis_f', 'https://a.test/', %lld)",
       (long long) ms ("2026-03-29T12:00:00Z"));
  sql (f, "INSERT INTO page_views (visitor_id, url, at) VALUES ('vis_g', 'https://a.test/', %lld)",
       (long long) ms ("2026-03-31T12:00:00Z"));

  /* C1: Saturday 10:00 local. First response 30 s (the agent), resolved, reopened, resolved
   * again: 600 s from the start to the latest resolution. Rated 5. */
  conversation (f, "conv_1", s, "vis_a", "resolved", f->agent_id,
                "2026-03-28T09:00:00Z", "2026-03-28T09:00:30Z");
  message (f, "conv_1", 1, "visitor", "vis_a", "Hello, where is my ORDER??", "2026-03-28T09:00:00Z");
  message (f, "conv_1", 2, "agent", f->agent_id, "Let me look", "2026-03-28T09:00:30Z");
  timeline (f, "conv_1", "assigned", "2026-03-28T09:00:30Z");
  timeline (f, "conv_1", "resolved", "2026-03-28T09:05:00Z");
  timeline (f, "conv_1", "reopened", "2026-03-28T09:06:00Z");
  timeline (f, "conv_1", "resolved", "2026-03-28T09:10:00Z");
  rating (f, "conv_1", 5, "2026-03-28T09:11:00Z");

  /* C2: Saturday 23:50 local, crosses midnight: the admin answers at 00:10 Sunday (1200 s);
   * resolved at 00:50 local (3600 s). Rated 3. Counts on Saturday; its reply is a Sunday message. */
  conversation (f, "conv_2", s, "vis_a", "resolved", f->admin_id,
                "2026-03-28T22:50:00Z", "2026-03-28T23:10:00Z");
  message (f, "conv_2", 1, "visitor", "vis_a", "where is my order", "2026-03-28T22:50:00Z");
  message (f, "conv_2", 2, "agent", f->admin_id, "On its way", "2026-03-28T23:10:00Z");
  timeline (f, "conv_2", "resolved", "2026-03-28T23:50:00Z");
  rating (f, "conv_2", 3, "2026-03-29T00:51:00Z");

  /* C3: 01:30Z on the DST day is 03:30 CEST (02:30 would be the old offset). The bot answers
   * from FAQ 1 and nobody else: open, unanswered, answered by the bot. */
  conversation (f, "conv_3", s, "vis_b", "open", NULL, "2026-03-29T01:30:00Z", "2026-03-29T01:30:01Z");
  message (f, "conv_3", 1, "visitor", "vis_b", "Hi", "2026-03-29T01:30:00Z");
  message (f, "conv_3", 2, "bot", f->faq1, "See our help pages.", "2026-03-29T01:30:01Z");

  /* C4: the last second of the 23-hour Sunday. The bot answers from FAQ 2, the visitor asks for
   * a person (a system note, not counted), the agent replies 10 s later, on Monday. It was
   * resolved once, then reopened: pending now, so no resolution time. Rated 4. */
  conversation (f, "conv_4", s, "vis_c", "pending", f->agent_id,
                "2026-03-29T21:59:59Z", "2026-03-29T22:00:09Z");
  message (f, "conv_4", 1, "visitor", "vis_c", "  Where   is my order ?", "2026-03-29T21:59:59Z");
  message (f, "conv_4", 2, "bot", f->faq2, "See our help pages.", "2026-03-29T21:59:59.500Z");
  message (f, "conv_4", 3, "system", NULL, "The visitor asked for a person", "2026-03-29T21:59:59.800Z");
  sql (f, "INSERT INTO human_requests (conversation_id, created_at) VALUES ('conv_4', %lld)",
       (long long) ms ("2026-03-29T21:59:59.800Z"));
  message (f, "conv_4", 4, "agent", f->agent_id, "Here I am", "2026-03-29T22:00:09Z");
  timeline (f, "conv_4", "resolved", "2026-03-29T22:05:00Z");
  timeline (f, "conv_4", "pending", "2026-03-29T22:06:00Z");
  rating (f, "conv_4", 4, "2026-03-29T22:07:00Z");

  /* C5: Monday 00:00 local exactly (a 24-hour Sunday would have held it). The bot answers from
   * FAQ 1; resolved after 1800 s without an agent. Rated 1. */
  conversation (f, "conv_5", s, "vis_c", "resolved", NULL, "2026-03-29T22:00:00Z", "2026-03-29T22:00:01Z");
  message (f, "conv_5", 1, "visitor", "vis_c", "Hello, where is my order!", "2026-03-29T22:00:00Z");
  message (f, "conv_5", 2, "bot", f->faq1, "See our help pages.", "2026-03-29T22:00:01Z");
  timeline (f, "conv_5", "resolved", "2026-03-29T22:30:00Z");
  rating (f, "conv_5", 1, "2026-03-29T22:31:00Z");

  /* C6: started one second before the range (Friday 23:59:59 local); its agent message at
   * Saturday 00:00:05 counts, the conversation does not. */
  conversation (f, "conv_6", s, "vis_d", "open", f->agent_id, "2026-03-27T22:59:59Z", "2026-03-27T23:00:05Z");
  message (f, "conv_6", 1, "visitor", "vis_d", "Early bird", "2026-03-27T22:59:59Z");
  message (f, "conv_6", 2, "agent", f->agent_id, "Good morning", "2026-03-27T23:00:05Z");

  /* C8: started long before; its visitor, first and last seen outside the range with no page
   * view in it, is seen by their message on Sunday */
  visitor (f, "vis_h", s, "2026-03-20T10:00:00Z", "2026-04-02T10:00:00Z", NULL);
  conversation (f, "conv_8", s, "vis_h", "open", NULL, "2026-03-20T10:00:00Z", "2026-03-29T12:00:00Z");
  message (f, "conv_8", 1, "visitor", "vis_h", "Old question", "2026-03-20T10:00:00Z");
  message (f, "conv_8", 2, "visitor", "vis_h", "Still there?", "2026-03-29T12:00:00Z");

  /* C7: Tuesday 00:00 local, the first instant after the range */
  conversation (f, "conv_7", s, "vis_e", "open", NULL, "2026-03-30T22:00:00Z", "2026-03-30T22:00:00Z");
  message (f, "conv_7", 1, "visitor", "vis_e", "Too late", "2026-03-30T22:00:00Z");

  /* another tenant's conversation in the range */
  visitor (f, "vis_x", f->other_site_id, "2026-03-28T12:00:00Z", "2026-03-28T12:00:00Z", NULL);
  conversation (f, "conv_x", f->other_site_id, "vis_x", "open", NULL,
                "2026-03-28T12:00:00Z", "2026-03-28T12:00:00Z");
  message (f, "conv_x", 1, "visitor", "vis_x", "where is my order", "2026-03-28T12:00:00Z");

  /* response-time targets (issue 18), each on the day it started: met and missed on Saturday,
   * a next response still running past its due time (missed) on Sunday, one met on Monday; not
   * counted: one stopped in time, one started before the range, one of another tenant, one
   * still running in time */
  target (f, s, "conv_1", "first_response", "2026-03-28T09:00:00Z", "2026-03-28T09:01:00Z",
          "2026-03-28T09:00:30Z", "met");
  target (f, s, "conv_2", "first_response", "2026-03-28T22:50:00Z", "2026-03-28T23:00:00Z",
          "2026-03-28T23:10:00Z", "missed");
  target (f, s, "conv_4", "next_response", "2026-03-29T21:59:59Z", "2026-03-29T22:00:05Z",
          NULL, NULL);
  target (f, s, "conv_3", "first_response", "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z",
          "2026-03-29T01:40:00Z", "stopped");
  target (f, s, "conv_5", "next_response", "2026-03-29T22:00:00Z", "2026-03-29T22:05:00Z",
          "2026-03-29T22:01:00Z", "met");
  target (f, s, "conv_6", "first_response", "2026-03-27T22:59:59Z", "2026-03-27T23:59:59Z",
          "2026-03-27T23:00:05Z", "met");
  target (f, f->other_site_id, "conv_x", "first_response", "2026-03-28T12:00:00Z",
          "2026-03-28T12:01:00Z", NULL, "missed");
  target (f, s, "conv_1", "next_response", "2026-03-28T09:10:00Z", "2099-01-01T00:00:00Z",
          NULL, NULL);

  /* offline messages: one in the range, one after it */
  sql (f, "INSERT INTO offline_messages (id, site_id, body, created_at) VALUES "
          "('off_1', %Q, 'Call me', %lld), ('off_2', %Q, 'Call me', %lld)",
       s, (long long) ms ("2026-03-29T10:00:00Z"), s, (long long) ms ("2026-03-31T10:00:00Z"));
  sql (f, "COMMIT");
}

/* --- reading answers --- */

static JsonObject *
get_json (Fixture    *f,
          const char *token,
          const char *scope,
          const char *query)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/analytics%s", scope, query);
  g_autoptr (TestResponse) response = test_http (f->relay, "GET", path, token, NULL, NULL);

  test_assert_http_status (response, 200);
  return json_object_ref (test_response_object (response));
}

static void
assert_number (JsonObject *object,
               const char *path,
               double      expected)
{
  JsonNode *node = test_obj_lookup (object, path);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    g_error ("%s: expected %g, got %s", path, expected, node ? "null" : "nothing");
  g_assert_cmpfloat_with_epsilon (test_obj_number (object, path), expected, 1e-9);
}

static void
assert_null (JsonObject *object,
             const char *path)
{
  if (!test_obj_is_null (object, path))
    g_error ("%s: expected null", path);
}

static JsonObject *
array_object (JsonObject *object,
              const char *path,
              guint       index)
{
  JsonArray *array = test_obj_array (object, path);

  g_assert_cmpuint (index, <, json_array_get_length (array));
  return json_array_get_object_element (array, index);
}

static gint64
hour_of_week (JsonObject *answer,
              guint       day,
              guint       hour)
{
  JsonArray *days = test_obj_array (answer, "per_hour_of_week");

  g_assert_cmpuint (json_array_get_length (days), ==, 7);
  g_assert_cmpuint (json_array_get_length (json_array_get_array_element (days, day)), ==, 24);
  return json_array_get_int_element (json_array_get_array_element (days, day), hour);
}

static void
assert_agent_row (JsonObject *row,
                  const char *agent_id,
                  const char *name,
                  gint64      conversations,
                  gint64      messages,
                  double      first_response_p50,   /* < 0: null */
                  double      csat_average)
{
  g_assert_cmpstr (test_obj_string (row, "agent_id"), ==, agent_id);
  g_assert_cmpstr (test_obj_string (row, "name"), ==, name);
  g_assert_cmpint (test_obj_int (row, "conversations"), ==, conversations);
  g_assert_cmpint (test_obj_int (row, "messages"), ==, messages);
  if (first_response_p50 < 0)
    assert_null (row, "first_response_p50");
  else
    assert_number (row, "first_response_p50", first_response_p50);
  if (csat_average < 0)
    assert_null (row, "csat_average");
  else
    assert_number (row, "csat_average", csat_average);
}

/* --- tests --- */

/* Every figure of the spring history, as the owner sees it */
static void
test_figures (void)
{
  g_autoptr (Fixture) f = fixture_new ();
  g_autoptr (JsonObject) answer = NULL;
  JsonObject *day, *entry;
  gint64 total = 0;

  write_spring_history (f);
  /* the site's zone wins over tz */
  answer = get_json (f, f->owner_token, f->site_id, "?from=2026-03-28&to=2026-03-30&tz=UTC");

  g_assert_cmpstr (test_obj_string (answer, "from"), ==, "2026-03-28");
  g_assert_cmpstr (test_obj_string (answer, "to"), ==, "2026-03-30");
  g_assert_cmpstr (test_obj_string (answer, "timezone"), ==, "Europe/Berlin");
  g_assert_cmpint (test_obj_int (answer, "conversations"), ==, 5);
  /* C8's second message counts, its first (and C6's, C7's) do not */
  g_assert_cmpint (test_obj_int (answer, "messages.visitor"), ==, 6);
  g_assert_cmpint (test_obj_int (answer, "messages.agent"), ==, 4);
  g_assert_cmpint (test_obj_int (answer, "messages.bot"), ==, 3);
  /* a, b, c, f (a page view), h (a message); not d (only the agent wrote in the range), e
   * (after), g (seen before and after, not in it) */
  g_assert_cmpint (test_obj_int (answer, "visitors"), ==, 5);
  g_assert_cmpint (test_obj_int (answer, "offline_messages"), ==, 1);

  /* 10, 30, 1200: nearest rank p50 = 2nd, p90 = 3rd */
  assert_number (answer, "first_response_seconds.p50", 30);
  assert_number (answer, "first_response_seconds.p90", 1200);
  g_assert_cmpint (test_obj_int (answer, "first_response_seconds.count"), ==, 3);
  /* 600, 1800, 3600 */
  assert_number (answer, "resolution_seconds.p50", 1800);
  assert_number (answer, "resolution_seconds.p90", 3600);
  g_assert_cmpint (test_obj_int (answer, "resolution_seconds.count"), ==, 3);
  g_assert_cmpint (test_obj_int (answer, "wait_unanswered"), ==, 1);

  assert_number (answer, "csat.average", 13.0 / 4);
  g_assert_cmpint (test_obj_int (answer, "csat.count"), ==, 4);
  g_assert_cmpint (test_obj_int (answer, "csat.distribution.1"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "csat.distribution.2"), ==, 0);
  g_assert_cmpint (test_obj_int (answer, "csat.distribution.3"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "csat.distribution.4"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "csat.distribution.5"), ==, 1);

  g_assert_cmpint (test_obj_int (answer, "bot.answered"), ==, 2);
  g_assert_cmpint (test_obj_int (answer, "bot.handed_to_human"), ==, 1);

  g_assert_cmpint (test_obj_int (answer, "targets.first_response.met"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "targets.first_response.missed"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "targets.next_response.met"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "targets.next_response.missed"), ==, 1);

  g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "per_day")), ==, 3);
  day = array_object (answer, "per_day", 0);
  g_assert_cmpstr (test_obj_string (day, "date"), ==, "2026-03-28");
  g_assert_cmpint (test_obj_int (day, "conversations"), ==, 2);
  g_assert_cmpint (test_obj_int (day, "messages"), ==, 4);
  assert_number (day, "first_response_p50", 30);
  assert_number (day, "resolution_p50", 600);
  assert_number (day, "csat_average", 4);
  g_assert_cmpint (test_obj_int (day, "targets_met"), ==, 1);
  g_assert_cmpint (test_obj_int (day, "targets_missed"), ==, 1);
  day = array_object (answer, "per_day", 1);
  g_assert_cmpstr (test_obj_string (day, "date"), ==, "2026-03-29");
  g_assert_cmpint (test_obj_int (day, "conversations"), ==, 2);
  g_assert_cmpint (test_obj_int (day, "messages"), ==, 6);
  assert_number (day, "first_response_p50", 10);
  assert_null (day, "resolution_p50");
  assert_number (day, "csat_average", 4);
  g_assert_cmpint (test_obj_int (day, "targets_met"), ==, 0);
  g_assert_cmpint (test_obj_int (day, "targets_missed"), ==, 1);
  day = array_object (answer, "per_day", 2);
  g_assert_cmpstr (test_obj_string (day, "date"), ==, "2026-03-30");
  g_assert_cmpint (test_obj_int (day, "conversations"), ==, 1);
  g_assert_cmpint (test_obj_int (day, "messages"), ==, 3);
  assert_null (day, "first_response_p50");
  assert_number (day, "resolution_p50", 1800);
  assert_number (day, "csat_average", 1);
  g_assert_cmpint (test_obj_int (day, "targets_met"), ==, 1);
  g_assert_cmpint (test_obj_int (day, "targets_missed"), ==, 0);

  /* Monday first: Saturday 10:00 and 23:00, Sunday 03:00 (CEST) and 23:00, Monday 00:00 */
  g_assert_cmpint (hour_of_week (answer, 5, 10), ==, 1);
  g_assert_cmpint (hour_of_week (answer, 5, 23), ==, 1);
  g_assert_cmpint (hour_of_week (answer, 6, 3), ==, 1);
  g_assert_cmpint (hour_of_week (answer, 6, 23), ==, 1);
  g_assert_cmpint (hour_of_week (answer, 0, 0), ==, 1);
  for (guint d = 0; d < 7; d++)
    for (guint h = 0; h < 24; h++)
      total += hour_of_week (answer, d, h);
  g_assert_cmpint (total, ==, 5);

  g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "top_faqs")), ==, 2);
  entry = array_object (answer, "top_faqs", 0);
  g_assert_cmpstr (test_obj_string (entry, "faq_id"), ==, f->faq1);
  g_assert_cmpstr (test_obj_string (entry, "question"), ==, "Where is my order?");
  g_assert_cmpint (test_obj_int (entry, "hits"), ==, 2);
  entry = array_object (answer, "top_faqs", 1);
  g_assert_cmpstr (test_obj_string (entry, "faq_id"), ==, f->faq2);
  g_assert_cmpint (test_obj_int (entry, "hits"), ==, 1);

  g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "top_first_messages")), ==, 3);
  entry = array_object (answer, "top_first_messages", 0);
  g_assert_cmpstr (test_obj_string (entry, "text"), ==, "hello, where is my order");
  g_assert_cmpint (test_obj_int (entry, "count"), ==, 2);
  entry = array_object (answer, "top_first_messages", 1);
  g_assert_cmpstr (test_obj_string (entry, "text"), ==, "where is my order");
  g_assert_cmpint (test_obj_int (entry, "count"), ==, 2);
  entry = array_object (answer, "top_first_messages", 2);
  g_assert_cmpstr (test_obj_string (entry, "text"), ==, "hi");
  g_assert_cmpint (test_obj_int (entry, "count"), ==, 1);

  /* most conversations first; the agent's third message is C6's, sent in the range */
  g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "agents")), ==, 3);
  assert_agent_row (array_object (answer, "agents", 0), f->agent_id, "Ada Agent", 2, 3, 10, 4.5);
  assert_agent_row (array_object (answer, "agents", 1), f->admin_id, "Adam Admin", 1, 1, 1200, 3);
  assert_agent_row (array_object (answer, "agents", 2), f->owner_id, "Olga Owner", 0, 0, -1, -1);

  /* a deleted conversation (a visitor's data erased, a retention purge) takes its messages out
   * of the counts */
  g_clear_pointer (&answer, json_object_unref);
  sql (f, "PRAGMA foreign_keys = ON");
  sql (f, "DELETE FROM conversations WHERE id IN ('conv_8', 'conv_6')");
  answer = get_json (f, f->owner_token, f->site_id, "?from=2026-03-28&to=2026-03-30");
  g_assert_cmpint (test_obj_int (answer, "messages.visitor"), ==, 5);
  g_assert_cmpint (test_obj_int (answer, "messages.agent"), ==, 3);
  g_assert_cmpint (test_obj_int (array_object (answer, "per_day", 0), "messages"), ==, 3);
  g_assert_cmpint (test_obj_int (array_object (answer, "per_day", 1), "messages"), ==, 5);
  g_assert_cmpint (test_obj_int (answer, "conversations"), ==, 5);
}

/* The autumn change: 2026-10-25 has 25 hours in Berlin (00:00 CEST = 22:00Z on the 24th,
 * 00:00 CET = 23:00Z on the 25th) */
static void
test_autumn_day (void)
{
  g_autoptr (Fixture) f = fixture_new ();
  g_autoptr (JsonObject) answer = NULL;
  const char *s = f->site_id;
  const char *starts[] = {
    "2026-10-24T21:59:59Z",   /* Saturday 23:59:59 CEST */
    "2026-10-24T22:00:00Z",   /* Sunday 00:00 CEST */
    "2026-10-25T22:30:00Z",   /* Sunday 23:30 CET: the 25th hour of the day */
    "2026-10-25T23:00:00Z",   /* Monday 00:00 CET */
  };

  sql (f, "BEGIN");
  visitor (f, "vis_1", s, "2026-10-24T21:59:59Z", "2026-10-25T23:00:00Z", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (starts); i++)
    {
      g_autofree char *id = g_strdup_printf ("conv_%u", i);

      conversation (f, id, s, "vis_1", "open", NULL, starts[i], starts[i]);
      message (f, id, 1, "visitor", "vis_1", "Hallo", starts[i]);
    }
  sql (f, "COMMIT");

  answer = get_json (f, f->owner_token, s, "?from=2026-10-24&to=2026-10-26");
  g_assert_cmpint (test_obj_int (answer, "conversations"), ==, 4);
  g_assert_cmpint (test_obj_int (array_object (answer, "per_day", 0), "conversations"), ==, 1);
  g_assert_cmpint (test_obj_int (array_object (answer, "per_day", 1), "conversations"), ==, 2);
  g_assert_cmpint (test_obj_int (array_object (answer, "per_day", 2), "conversations"), ==, 1);
  g_assert_cmpint (test_obj_int (array_object (answer, "per_day", 1), "messages"), ==, 2);
  g_assert_cmpint (hour_of_week (answer, 5, 23), ==, 1);
  g_assert_cmpint (hour_of_week (answer, 6, 0), ==, 1);
  g_assert_cmpint (hour_of_week (answer, 6, 23), ==, 1);
  g_assert_cmpint (hour_of_week (answer, 0, 0), ==, 1);
}

/* Agents see the site's figures and only their own row; another tenant sees nothing of it */
static void
test_roles (void)
{
  g_autoptr (Fixture) f = fixture_new ();
  g_autoptr (JsonObject) agent = NULL;
  g_autoptr (JsonObject) admin = NULL;
  g_autoptr (JsonObject) all = NULL;
  g_autoptr (JsonObject) all_utc = NULL;
  g_autoptr (JsonObject) other = NULL;
  g_autoptr (TestResponse) response = NULL;
  g_autofree char *path = NULL;

  write_spring_history (f);

  agent = get_json (f, f->agent_token, f->site_id, "?from=2026-03-28&to=2026-03-30");
  g_assert_cmpint (test_obj_int (agent, "conversations"), ==, 5);
  g_assert_cmpint (test_obj_int (agent, "messages.agent"), ==, 4);
  g_assert_cmpuint (json_array_get_length (test_obj_array (agent, "agents")), ==, 1);
  assert_agent_row (array_object (agent, "agents", 0), f->agent_id, "Ada Agent", 2, 3, 10, 4.5);

  admin = get_json (f, f->admin_token, f->site_id, "?from=2026-03-28&to=2026-03-30");
  g_assert_cmpuint (json_array_get_length (test_obj_array (admin, "agents")), ==, 3);

  /* all: one site here; the tz parameter (no site zone for "all") */
  all = get_json (f, f->owner_token, "all", "?from=2026-03-28&to=2026-03-30&tz=Europe/Berlin");
  g_assert_cmpstr (test_obj_string (all, "site_id"), ==, "all");
  g_assert_cmpstr (test_obj_string (all, "timezone"), ==, "Europe/Berlin");
  g_assert_cmpint (test_obj_int (all, "conversations"), ==, 5);
  g_assert_cmpuint (json_array_get_length (test_obj_array (all, "agents")), ==, 3);
  /* in UTC, C7 (22:00Z on the 30th) is in the range and C1..C5 still are */
  all_utc = get_json (f, f->agent_token, "all", "?from=2026-03-28&to=2026-03-30");
  g_assert_cmpstr (test_obj_string (all_utc, "timezone"), ==, "UTC");
  g_assert_cmpint (test_obj_int (all_utc, "conversations"), ==, 6);
  g_assert_cmpuint (json_array_get_length (test_obj_array (all_utc, "agents")), ==, 1);

  /* the other tenant: 404 on this site (JSON and CSV), only their own conversation in all */
  path = g_strdup_printf ("/api/v1/sites/%s/analytics?from=2026-03-28&to=2026-03-30", f->site_id);
  response = test_http (f->relay, "GET", path, f->other_token, NULL, NULL);
  test_assert_http_error (response, 404, "not_found");
  g_clear_pointer (&response, test_response_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/sites/%s/analytics.csv?kind=conversations", f->site_id);
  response = test_http (f->relay, "GET", path, f->other_token, NULL, NULL);
  test_assert_http_error (response, 404, "not_found");
  other = get_json (f, f->other_token, "all", "?from=2026-03-28&to=2026-03-30");
  g_assert_cmpint (test_obj_int (other, "conversations"), ==, 1);
  g_assert_cmpint (test_obj_int (other, "messages.visitor"), ==, 1);
  g_assert_cmpuint (json_array_get_length (test_obj_array (other, "agents")), ==, 1);
  g_assert_cmpint (test_obj_int (array_object (other, "agents", 0), "messages"), ==, 0);
}

/* A range with nothing in it: zeros, nulls, a day entry per day */
static void
test_empty (void)
{
  g_autoptr (Fixture) f = fixture_new ();
  g_autoptr (JsonObject) answer = NULL;

  write_spring_history (f);
  answer = get_json (f, f->owner_token, f->site_id, "?from=2025-01-01&to=2025-01-03");

  g_assert_cmpint (test_obj_int (answer, "conversations"), ==, 0);
  g_assert_cmpint (test_obj_int (answer, "messages.visitor"), ==, 0);
  g_assert_cmpint (test_obj_int (answer, "messages.agent"), ==, 0);
  g_assert_cmpint (test_obj_int (answer, "messages.bot"), ==, 0);
  g_assert_cmpint (test_obj_int (answer, "visitors"), ==, 0);
  g_assert_cmpint (test_obj_int (answer, "offline_messages"), ==, 0);
  assert_null (answer, "first_response_seconds.p50");
  assert_null (answer, "first_response_seconds.p90");
  g_assert_cmpint (test_obj_int (answer, "first_response_seconds.count"), ==, 0);
  assert_null (answer, "resolution_seconds.p50");
  assert_null (answer, "resolution_seconds.p90");
  g_assert_cmpint (test_obj_int (answer, "wait_unanswered"), ==, 0);
  assert_null (answer, "csat.average");
  g_assert_cmpint (test_obj_int (answer, "csat.count"), ==, 0);
  g_assert_cmpint (test_obj_int (answer, "csat.distribution.5"), ==, 0);
  g_assert_cmpint (test_obj_int (answer, "bot.answered"), ==, 0);
  g_assert_cmpint (test_obj_int (answer, "bot.handed_to_human"), ==, 0);
  g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "per_day")), ==, 3);
  g_assert_cmpstr (test_obj_string (array_object (answer, "per_day", 2), "date"), ==, "2025-01-03");
  assert_null (array_object (answer, "per_day", 0), "first_response_p50");
  assert_null (array_object (answer, "per_day", 0), "csat_average");
  g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "top_faqs")), ==, 0);
  g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "top_first_messages")), ==, 0);
  g_assert_cmpuint (json_array_get_length (test_obj_array (answer, "agents")), ==, 3);
  assert_agent_row (array_object (answer, "agents", 0), f->agent_id, "Ada Agent", 0, 0, -1, -1);
}

/* Every bad parameter: 400 invalid_value with a message that says what is wrong */
static void
test_bad_parameters (void)
{
  g_autoptr (Fixture) f = fixture_new ();
  static const struct {
    const char *query;
    const char *says;
  } bad[] = {
    { "?from=2026-03-30&to=2026-03-28", "after" },
    { "?from=2025-01-01&to=2026-02-06", "400 days" },          /* 402 days */
    { "?tz=Mars/Olympus_Mons", "tz" },
    { "?tz=../../etc/passwd", "tz" },
    { "?tz=%2Fdev%2Fzero", "tz" },
    { "?from=2026-02-30&to=2026-03-01", "from" },
    { "?from=2026-3-1", "from" },
    { "?from=20260301", "from" },
    { "?to=2026-03-01T00:00:00Z", "to" },
    { "?from=1969-12-31&to=1970-01-02", "from" },
    { "?to=yesterday", "to" },
    { "?from=9999-12-01&to=9999-12-31", "from" },
    { "?from=2026-01-01&to=9999-12-31", "to" },
  };
  g_autofree char *path = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    for (guint csv = 0; csv < 2; csv++)
      {
        g_autofree char *bad_path = g_strdup_printf ("/api/v1/sites/%s/analytics%s%s", f->site_id,
                                                     csv ? ".csv" : "", bad[i].query);
        g_autoptr (TestResponse) response = test_http (f->relay, "GET", bad_path, f->owner_token,
                                                       NULL, NULL);
        JsonObject *body;

        test_assert_http_error (response, 400, "invalid_value");
        body = test_response_object (response);
        if (strstr (test_obj_string (body, "error.message"), bad[i].says) == NULL)
          g_error ("%s: “%s” does not say %s", bad_path, test_obj_string (body, "error.message"),
                   bad[i].says);
      }

  {
    /* exactly 400 days is fine; so are no parameters at all (the last 30 days) */
    g_autoptr (JsonObject) longest = get_json (f, f->owner_token, f->site_id,
                                               "?from=2025-01-01&to=2026-02-04");
    g_autoptr (JsonObject) plain = get_json (f, f->owner_token, f->site_id, "");

    g_assert_cmpuint (json_array_get_length (test_obj_array (longest, "per_day")), ==, 400);
    g_assert_cmpuint (json_array_get_length (test_obj_array (plain, "per_day")), ==, 30);
  }

  {
    g_autofree char *csv_path = g_strdup_printf ("/api/v1/sites/%s/analytics.csv?kind=xml", f->site_id);
    g_autoptr (TestResponse) response = test_http (f->relay, "GET", csv_path, f->owner_token, NULL, NULL);

    test_assert_http_error (response, 400, "invalid_value");
  }
  {
    g_autoptr (TestResponse) response = test_http (f->relay, "GET", "/api/v1/sites/site_nope/analytics",
                                                   f->owner_token, NULL, NULL);

    test_assert_http_error (response, 404, "not_found");
  }
  {
    g_autoptr (TestResponse) response = NULL;

    path = g_strdup_printf ("/api/v1/sites/%s/analytics", f->site_id);
    response = test_http (f->relay, "POST", path, f->owner_token, "{}", NULL);
    test_assert_http_error (response, 405, "method_not_allowed");
    g_clear_pointer (&response, test_response_free);
    response = test_http (f->relay, "GET", path, NULL, NULL, NULL);
    test_assert_http_error (response, 401, "unauthorized");
  }
}

static char *
get_csv (Fixture    *f,
         const char *query)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/analytics.csv%s", f->site_id, query);
  g_autoptr (TestResponse) response = test_http (f->relay, "GET", path, f->agent_token, NULL, NULL);

  test_assert_http_status (response, 200);
  g_assert_true (g_str_has_prefix (test_response_header (response, "Content-Type"), "text/csv"));
  g_assert_true (g_str_has_prefix (test_response_header (response, "Content-Disposition"),
                                   "attachment; filename=\"confab-"));
  return test_response_text (response);
}

/* CSV: the daily figures, the conversations with formula-looking cells defused */
static void
test_csv (void)
{
  g_autoptr (Fixture) f = fixture_new ();
  g_autofree char *daily = NULL;
  g_autofree char *conversations = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *expected_line = NULL;

  write_spring_history (f);

  daily = get_csv (f, "?from=2026-03-28&to=2026-03-30");
  g_assert_cmpstr (daily, ==,
                   "date,conversations,messages,first_response_p50,resolution_p50,csat_average,"
                   "first_response_met,first_response_missed,next_response_met,next_response_missed\r\n"
                   "2026-03-28,2,4,30.000,600.000,4.000,1,1,0,0\r\n"
                   "2026-03-29,2,6,10.000,,4.000,0,0,0,1\r\n"
                   "2026-03-30,1,3,,1800.000,1.000,0,0,1,0\r\n");

  conversations = get_csv (f, "?kind=conversations&from=2026-03-28&to=2026-03-30");
  lines = g_strsplit (conversations, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 7);    /* header, 5 rows, "" after the last CRLF */
  g_assert_cmpstr (lines[0], ==, "id,site_id,started_at,status,visitor_id,visitor_name,visitor_email,"
                                 "assignee_id,first_response_seconds,resolution_seconds,rating,bot_answered");
  expected_line = g_strdup_printf ("conv_1,%s,2026-03-28T09:00:00.000Z,resolved,vis_a,"
                                   "\"'=HYPERLINK(\"\"http://x\"\")\",,%s,30.000,600.000,5,false",
                                   f->site_id, f->agent_id);
  g_assert_cmpstr (lines[1], ==, expected_line);
  g_free (expected_line);
  expected_line = g_strdup_printf ("conv_4,%s,2026-03-29T21:59:59.000Z,pending,vis_c,"
                                   "\"Doe, \"\"JJ\"\"\",,%s,10.000,,4,true",
                                   f->site_id, f->agent_id);
  g_assert_cmpstr (lines[4], ==, expected_line);
  g_assert_true (g_str_has_prefix (lines[5], "conv_5,"));
  g_assert_cmpstr (lines[6], ==, "");
}

/* What the relay itself stores (no SQL of the test): a visitor's message, an agent's reply, a
 * resolution and a rating reach the figures through the relay's own writes. */
static void
test_live (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_DEFAULT);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (JsonObject) resolved = NULL;
  g_autoptr (TestResponse) response = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *path = NULL;
  JsonObject *opener;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  test_visitor_say (world->visitor, "  Hello   THERE!! ", &conversation_id);
  test_agent_say (world->agent, conversation_id, "Hi, how can I help?");
  test_ws_sendf (world->agent, "{'type':'set_status','conversation_id':'%s','status':'resolved'}",
                 conversation_id);
  resolved = test_ws_wait_for_match (world->agent, "conversation", "conversation.status", "resolved",
                                     TEST_TIMEOUT_MS);
  test_ws_sendf (world->visitor, "{'type':'rate','score':4}");
  test_ws_wait_for_match (world->agent, "timeline", "event.kind", "rated", TEST_TIMEOUT_MS);

  /* no working hours: UTC; today is the last of the 30 days by default */
  path = g_strdup_printf ("/api/v1/sites/%s/analytics", world->site_id);
  response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  test_assert_http_status (response, 200);
  answer = json_object_ref (test_response_object (response));
  g_assert_cmpstr (test_obj_string (answer, "timezone"), ==, "UTC");
  {
    /* a run across midnight may see either day */
    g_autoptr (GDateTime) later = g_date_time_new_now_utc ();
    g_autofree char *tomorrow = g_date_time_format (later, "%Y-%m-%d");

    g_assert_true (g_strcmp0 (test_obj_string (answer, "to"), today) == 0 ||
                   g_strcmp0 (test_obj_string (answer, "to"), tomorrow) == 0);
  }
  g_assert_cmpint (test_obj_int (answer, "conversations"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "messages.visitor"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "messages.agent"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "visitors"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "first_response_seconds.count"), ==, 1);
  g_assert_cmpfloat (test_obj_number (answer, "first_response_seconds.p50"), >=, 0);
  g_assert_cmpfloat (test_obj_number (answer, "first_response_seconds.p50"), <, 60);
  g_assert_cmpint (test_obj_int (answer, "resolution_seconds.count"), ==, 1);
  g_assert_cmpint (test_obj_int (answer, "wait_unanswered"), ==, 0);
  assert_number (answer, "csat.average", 4);
  g_assert_cmpint (test_obj_int (answer, "csat.distribution.4"), ==, 1);
  g_assert_cmpint (test_obj_int (array_object (answer, "per_day", 29), "conversations"), ==, 1);
  g_assert_cmpint (test_obj_int (array_object (answer, "per_day", 29), "messages"), ==, 2);
  opener = array_object (answer, "top_first_messages", 0);
  g_assert_cmpstr (test_obj_string (opener, "text"), ==, "hello there");
  g_assert_cmpint (test_obj_int (opener, "count"), ==, 1);
  g_assert_cmpint (test_obj_int (array_object (answer, "agents", 0), "messages"), ==, 1);
  assert_number (array_object (answer, "agents", 0), "first_response_p50",
                 test_obj_number (answer, "first_response_seconds.p50"));
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/analytics/figures", test_figures);
  test_harness_add ("/relay/analytics/autumn-day", test_autumn_day);
  test_harness_add ("/relay/analytics/roles", test_roles);
  test_harness_add ("/relay/analytics/empty", test_empty);
  test_harness_add ("/relay/analytics/bad-parameters", test_bad_parameters);
  test_harness_add ("/relay/analytics/csv", test_csv);
  test_harness_add ("/relay/analytics/live", test_live);

  return g_test_run ();
}
