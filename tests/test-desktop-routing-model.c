/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-routing-model.c: issue 18 in the desktop cache, without a relay — a
 * conversation's team, queue place and response target parsed and kept (an older relay's
 * frames without them keep what is there), the queue oldest first, the team filter with live
 * moves, the user's limit per site and load, the teams kept per site, and the migration of a
 * schema-4 cache (tests/data/cache-v4.sql). */
#define G_LOG_DOMAIN "test-desktop-routing-model"

#include <sqlite3.h>
#include <glib/gstdio.h>

#include "confab-cache.h"
#include "confab-conversation-list.h"
#include "confab-routing.h"
#include "confab-util.h"

typedef struct {
  char        *dir;
  char        *path;
  ConfabCache *cache;
} Fixture;

static JsonObject *
object_from (const char *text)
{
  g_autoptr (JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static JsonArray *
array_from (const char *text)
{
  g_autoptr (JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_array_ref (json_node_get_array (node));
}

static void
remove_tree (const char *dir)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (dir, "/cache.db", suffixes[i], NULL);

      g_unlink (file);
    }
  g_rmdir (dir);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) sites = NULL;

  fixture->dir = g_dir_make_tmp ("confab-routing-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "cache.db", NULL);
  fixture->cache = confab_cache_new (fixture->path, &error);
  g_assert_no_error (error);
  /* st_1 routes (its entry says the user's limit), st_2 is on a relay's site without it */
  sites = array_from ("[{\"id\":\"st_1\",\"name\":\"One\",\"role\":\"agent\",\"max_chats\":5},"
                      " {\"id\":\"st_2\",\"name\":\"Two\",\"role\":\"owner\"}]");
  g_assert_true (confab_cache_replace_sites (fixture->cache, sites, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->cache);
  remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static void
apply (Fixture    *fixture,
       const char *json)
{
  g_autoptr (JsonObject) object = object_from (json);
  g_autoptr (GError) error = NULL;

  g_assert_true (confab_cache_apply_conversation (fixture->cache, object, 0, &error));
  g_assert_no_error (error);
}

static ConfabRouting *
routing_of (Fixture    *fixture,
            const char *id)
{
  g_autoptr (ConfabConversation) conversation = confab_cache_get_conversation (fixture->cache, id);

  g_assert_nonnull (conversation);
  return confab_routing_from_conversation (conversation);
}

static gint64
time_of (const char *text)
{
  gint64 ms = 0;

  g_assert_true (confab_parse_time (text, &ms));
  return ms;
}

/* Every member the contract gives, then each going back to null. */
static void
test_parse (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr (ConfabRouting) queued = NULL;
  g_autoptr (ConfabRouting) assigned = NULL;
  g_autoptr (ConfabRouting) plain = NULL;

  apply (fixture, "{\"id\":\"cv_1\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                  "\"team\":{\"id\":\"team_b\",\"key\":\"billing\",\"name\":\"Billing\"},"
                  "\"queued_at\":\"2026-12-07T10:00:00.250Z\",\"queue_position\":2,"
                  "\"target\":{\"kind\":\"first_response\",\"due_at\":\"2026-12-07T10:05:00Z\","
                  "\"state\":\"near\"}}");
  queued = routing_of (fixture, "cv_1");
  g_assert_cmpstr (queued->team_id, ==, "team_b");
  g_assert_cmpstr (queued->team_key, ==, "billing");
  g_assert_cmpstr (queued->team_name, ==, "Billing");
  g_assert_cmpint (queued->queued_at, ==, time_of ("2026-12-07T10:00:00.250Z"));
  g_assert_cmpint (queued->queue_position, ==, 2);
  g_assert_cmpstr (queued->target_kind, ==, "first_response");
  g_assert_cmpint (queued->target_due_at, ==, time_of ("2026-12-07T10:05:00Z"));
  g_assert_cmpint (queued->target_state, ==, CONFAB_TARGET_NEAR);
  /* the relay's "near" before the due time; missed once it has passed, event or not */
  g_assert_cmpint (confab_routing_target_state_at (queued, time_of ("2026-12-07T10:04:59Z")), ==,
                   CONFAB_TARGET_NEAR);
  g_assert_cmpint (confab_routing_target_state_at (queued, time_of ("2026-12-07T10:05:00Z")), ==,
                   CONFAB_TARGET_MISSED);

  /* assigned: out of the queue, the team kept; the target met */
  apply (fixture, "{\"id\":\"cv_1\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                  "\"assignee\":{\"id\":\"us_1\",\"name\":\"Bo\"},"
                  "\"team\":{\"id\":\"team_b\",\"key\":\"billing\",\"name\":\"Billing\"},"
                  "\"queued_at\":null,\"queue_position\":null,\"target\":null}");
  assigned = routing_of (fixture, "cv_1");
  g_assert_cmpstr (assigned->team_id, ==, "team_b");
  g_assert_cmpint (assigned->queued_at, ==, 0);
  g_assert_cmpint (assigned->queue_position, ==, 0);
  g_assert_null (assigned->target_kind);
  g_assert_cmpint (confab_routing_target_state_at (assigned, G_MAXINT64), ==, CONFAB_TARGET_NONE);

  /* a conversation from a relay without routing has none; malformed text reads as none */
  apply (fixture, "{\"id\":\"cv_2\",\"site_id\":\"st_2\",\"visitor_id\":\"vi_2\",\"status\":\"open\"}");
  plain = routing_of (fixture, "cv_2");
  g_assert_null (plain->team_id);
  g_assert_cmpint (plain->queued_at, ==, 0);
  g_assert_null (plain->target_kind);
  {
    g_autoptr (ConfabConversation) conversation = confab_cache_get_conversation (fixture->cache, "cv_2");
    g_autoptr (ConfabRouting) junk = confab_routing_parse ("{\"team\":[1],\"target\":7");

    g_assert_null (confab_conversation_get_routing (conversation));
    g_assert_null (junk->team_id);
  }
}

/* What the inbox row reads of a conversation is parsed once per object, and reads as a fresh
 * parse does: the routing (confab_routing_peek) and the labels
 * (confab_conversation_peek_labels); "[]", none and malformed text read as none. */
static void
test_parsed_once (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) plain = NULL;
  g_autoptr (ConfabConversation) junk = NULL;
  g_autoptr (ConfabRouting) fresh = NULL;
  const ConfabRouting *routing;
  JsonArray *labels;

  apply (fixture, "{\"id\":\"cv_1\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                  "\"team\":{\"id\":\"team_b\",\"key\":\"billing\",\"name\":\"Billing\"},"
                  "\"queued_at\":\"2026-12-07T10:00:00Z\",\"queue_position\":3,"
                  "\"labels\":[{\"id\":\"lb_1\",\"name\":\"VIP\",\"color\":\"#ff0000\"},"
                  "{\"id\":\"lb_2\",\"name\":\"Refund\",\"color\":\"#00ff00\"}]}");
  conversation = confab_cache_get_conversation (fixture->cache, "cv_1");
  g_assert_nonnull (conversation);
  routing = confab_routing_peek (conversation);
  g_assert_true (confab_routing_peek (conversation) == routing);
  fresh = confab_routing_from_conversation (conversation);
  g_assert_cmpstr (routing->team_id, ==, fresh->team_id);
  g_assert_cmpstr (routing->team_name, ==, "Billing");
  g_assert_cmpint (routing->queue_position, ==, 3);
  g_assert_cmpint (routing->queued_at, ==, fresh->queued_at);
  labels = confab_conversation_peek_labels (conversation);
  g_assert_nonnull (labels);
  g_assert_true (confab_conversation_peek_labels (conversation) == labels);
  g_assert_cmpuint (json_array_get_length (labels), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (labels, 1), "name"),
                   ==, "Refund");

  apply (fixture, "{\"id\":\"cv_2\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_2\",\"status\":\"open\","
                  "\"labels\":[]}");
  plain = confab_cache_get_conversation (fixture->cache, "cv_2");
  g_assert_null (confab_routing_peek (plain)->team_id);
  g_assert_null (confab_conversation_peek_labels (plain));
  junk = g_object_new (CONFAB_TYPE_CONVERSATION, "id", "cv_3", "labels", "{\"name\":\"x\"}",
                       "routing", "{\"team\":[1", NULL);
  g_assert_null (confab_conversation_peek_labels (junk));
  g_assert_null (confab_routing_peek (junk)->team_id);
}

/* A frame that lacks a member (a relay with teams but no targets, or an older one) keeps what
 * the cache has for it; the others change. */
static void
test_absent_keeps (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (ConfabRouting) first = NULL;
  g_autoptr (ConfabRouting) second = NULL;

  apply (fixture, "{\"id\":\"cv_1\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                  "\"team\":{\"id\":\"team_s\",\"key\":\"sales\",\"name\":\"Sales\"},"
                  "\"target\":{\"kind\":\"next_response\",\"due_at\":\"2026-12-07T10:05:00Z\","
                  "\"state\":\"ok\"}}");
  first = routing_of (fixture, "cv_1");
  g_assert_cmpstr (first->target_kind, ==, "next_response");
  g_assert_cmpint (first->target_state, ==, CONFAB_TARGET_OK);

  apply (fixture, "{\"id\":\"cv_1\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                  "\"team\":null}");
  second = routing_of (fixture, "cv_1");
  g_assert_null (second->team_id);
  g_assert_cmpstr (second->target_kind, ==, "next_response");
}

/* The queue: open conversations waiting, oldest in the queue first (not by last message),
 * per site and team; one assigned or resolved leaves it. */
static void
test_queue_order (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (GListModel) all = NULL;
  g_autoptr (GListModel) billing = NULL;
  g_autoptr (GListModel) after = NULL;
  g_autoptr (GListModel) other_site = NULL;
  const char *expected[] = { "cv_b", "cv_c", "cv_a" };

  /* cv_a has the newest queue time but the oldest message: the queue goes by queued_at */
  apply (fixture, "{\"id\":\"cv_a\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                  "\"created_at\":\"2026-12-07T09:00:00Z\",\"last_message_at\":\"2026-12-07T09:00:00Z\","
                  "\"team\":null,\"queued_at\":\"2026-12-07T10:00:03Z\",\"queue_position\":3}");
  apply (fixture, "{\"id\":\"cv_b\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_2\",\"status\":\"open\","
                  "\"created_at\":\"2026-12-07T10:00:01Z\",\"last_message_at\":\"2026-12-07T10:00:09Z\","
                  "\"team\":{\"id\":\"team_b\",\"key\":\"billing\",\"name\":\"Billing\"},"
                  "\"queued_at\":\"2026-12-07T10:00:01Z\",\"queue_position\":1}");
  apply (fixture, "{\"id\":\"cv_c\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_3\",\"status\":\"open\","
                  "\"created_at\":\"2026-12-07T10:00:02Z\",\"last_message_at\":\"2026-12-07T10:00:08Z\","
                  "\"team\":{\"id\":\"team_b\",\"key\":\"billing\",\"name\":\"Billing\"},"
                  "\"queued_at\":\"2026-12-07T10:00:02Z\",\"queue_position\":2}");
  /* not queued */
  apply (fixture, "{\"id\":\"cv_d\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_4\",\"status\":\"open\","
                  "\"team\":null,\"queued_at\":null,\"queue_position\":null}");

  all = confab_cache_list_queued (fixture->cache, NULL, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (all), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (ConfabConversation) conversation = g_list_model_get_item (all, i);

      g_assert_cmpstr (confab_conversation_get_id (conversation), ==, expected[i]);
    }
  billing = confab_cache_list_queued (fixture->cache, "st_1", "team_b");
  g_assert_cmpuint (g_list_model_get_n_items (billing), ==, 2);
  other_site = confab_cache_list_queued (fixture->cache, "st_2", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (other_site), ==, 0);

  /* cv_b is taken (assigned: queued_at null), cv_c resolved while it waited */
  apply (fixture, "{\"id\":\"cv_b\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_2\",\"status\":\"open\","
                  "\"assignee\":{\"id\":\"us_1\",\"name\":\"Bo\"},\"queued_at\":null,\"queue_position\":null}");
  apply (fixture, "{\"id\":\"cv_c\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_3\",\"status\":\"resolved\"}");
  after = confab_cache_list_queued (fixture->cache, NULL, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (after), ==, 1);
  {
    g_autoptr (ConfabConversation) head = g_list_model_get_item (after, 0);

    g_assert_cmpstr (confab_conversation_get_id (head), ==, "cv_a");
  }
}

static void
count_changes (GListModel *model,
               guint       position,
               guint       removed,
               guint       added,
               guint      *changes)
{
  (*changes)++;
}

/* The inbox's team filter, in SQL and for rows that move in and out of it live (a transfer). */
static void
test_team_filter (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (ConfabConversationList) list = confab_conversation_list_new (fixture->cache);
  guint changes = 0;

  apply (fixture, "{\"id\":\"cv_1\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                  "\"team\":{\"id\":\"team_b\",\"key\":\"billing\",\"name\":\"Billing\"}}");
  apply (fixture, "{\"id\":\"cv_2\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_2\",\"status\":\"open\","
                  "\"team\":{\"id\":\"team_s\",\"key\":\"sales\",\"name\":\"Sales\"}}");
  apply (fixture, "{\"id\":\"cv_3\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_3\",\"status\":\"open\"}");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);

  confab_conversation_list_set_team_id (list, "team_b");
  g_assert_cmpstr (confab_conversation_list_get_team_id (list), ==, "team_b");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_assert_cmpint (confab_conversation_list_find (list, "cv_1"), ==, 0);

  g_signal_connect (list, "items-changed", G_CALLBACK (count_changes), &changes);
  /* cv_2 is transferred to billing: it comes in; cv_1 leaves to sales */
  apply (fixture, "{\"id\":\"cv_2\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_2\",\"status\":\"open\","
                  "\"team\":{\"id\":\"team_b\",\"key\":\"billing\",\"name\":\"Billing\"}}");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);
  apply (fixture, "{\"id\":\"cv_1\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                  "\"team\":{\"id\":\"team_s\",\"key\":\"sales\",\"name\":\"Sales\"}}");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_assert_cmpint (confab_conversation_list_find (list, "cv_2"), ==, 0);
  g_assert_cmpint (confab_conversation_list_find (list, "cv_1"), ==, -1);
  g_assert_cmpuint (changes, >=, 2);

  confab_conversation_list_set_team_id (list, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);
}

/* The user's limit per site from the site list (and a site object), the load, the teams. */
static void
test_limits_and_teams (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr (GListModel) sites = confab_cache_list_sites (fixture->cache);
  g_autoptr (JsonArray) teams = NULL;
  g_autoptr (JsonArray) kept = NULL;
  g_autoptr (JsonObject) site = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (sites), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (ConfabSite) item = g_list_model_get_item (sites, i);

      if (g_str_equal (confab_site_get_id (item), "st_1"))
        g_assert_cmpint (confab_site_get_max_chats (item), ==, 5);
      else
        g_assert_cmpint (confab_site_get_max_chats (item), ==, -1);
    }
  g_assert_true (confab_cache_has_routing (fixture->cache, NULL));
  g_assert_true (confab_cache_has_routing (fixture->cache, "st_1"));
  g_assert_false (confab_cache_has_routing (fixture->cache, "st_2"));

  /* a pushed site object raises the limit; one without it keeps the limit */
  site = object_from ("{\"id\":\"st_1\",\"name\":\"One\",\"max_chats\":7}");
  g_assert_true (confab_cache_update_site (fixture->cache, site, &error));
  g_assert_no_error (error);
  json_object_remove_member (site, "max_chats");
  g_assert_true (confab_cache_update_site (fixture->cache, site, &error));
  g_clear_object (&sites);
  sites = confab_cache_list_sites (fixture->cache);
  {
    g_autoptr (ConfabSite) first = g_list_model_get_item (sites, 0);

    g_assert_cmpstr (confab_site_get_id (first), ==, "st_1");
    g_assert_cmpint (confab_site_get_max_chats (first), ==, 7);
  }

  apply (fixture, "{\"id\":\"cv_1\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                  "\"assignee\":{\"id\":\"us_1\",\"name\":\"Bo\"}}");
  apply (fixture, "{\"id\":\"cv_2\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_2\",\"status\":\"pending\","
                  "\"assignee\":{\"id\":\"us_1\",\"name\":\"Bo\"}}");
  apply (fixture, "{\"id\":\"cv_3\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_3\",\"status\":\"resolved\","
                  "\"assignee\":{\"id\":\"us_1\",\"name\":\"Bo\"}}");
  apply (fixture, "{\"id\":\"cv_4\",\"site_id\":\"st_2\",\"visitor_id\":\"vi_4\",\"status\":\"open\","
                  "\"assignee\":{\"id\":\"us_1\",\"name\":\"Bo\"}}");
  apply (fixture, "{\"id\":\"cv_5\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_5\",\"status\":\"open\","
                  "\"assignee\":{\"id\":\"us_2\",\"name\":\"Cy\"}}");
  g_assert_cmpuint (confab_cache_count_load (fixture->cache, "us_1", "st_1"), ==, 2);
  g_assert_cmpuint (confab_cache_count_load (fixture->cache, "us_1", NULL), ==, 3);
  g_assert_cmpuint (confab_cache_count_load (fixture->cache, "us_2", NULL), ==, 1);

  g_assert_null (confab_cache_dup_teams (fixture->cache, "st_1"));
  teams = array_from ("[{\"id\":\"team_b\",\"site_id\":\"st_1\",\"key\":\"billing\",\"name\":\"Billing\","
                      "\"member_ids\":[\"us_1\"],\"assignment\":\"inherit\","
                      "\"first_response_seconds\":null,\"next_response_seconds\":120}]");
  g_assert_true (confab_cache_set_teams (fixture->cache, "st_1", teams, &error));
  g_assert_no_error (error);
  kept = confab_cache_dup_teams (fixture->cache, "st_1");
  g_assert_nonnull (kept);
  g_assert_cmpuint (json_array_get_length (kept), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (kept, 0), "key"),
                   ==, "billing");
  g_assert_null (confab_cache_dup_teams (fixture->cache, "st_2"));
}

/* A schema-4 cache opens as schema 5: its conversation and site have no routing (no views),
 * and a conversation object with routing fills it in. */
static void
test_migrate_v4 (void)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *dump_path = g_test_build_filename (G_TEST_DIST, "data", "cache-v4.sql", NULL);
  g_autofree char *dump = NULL;
  g_autoptr (ConfabCache) cache = NULL;
  g_autoptr (ConfabConversation) before = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GListModel) queued = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_true (g_file_get_contents (dump_path, &dump, NULL, &error));
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, dump, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  cache = confab_cache_new (path, &error);
  g_assert_no_error (error);
  before = confab_cache_get_conversation (cache, "cv_1");
  g_assert_nonnull (before);
  g_assert_cmpint (confab_conversation_get_rating_score (before), ==, 4);
  g_assert_null (confab_conversation_get_routing (before));
  g_assert_false (confab_cache_has_routing (cache, NULL));

  object = object_from ("{\"id\":\"cv_1\",\"site_id\":\"st_1\",\"visitor_id\":\"vi_1\",\"status\":\"open\","
                        "\"queued_at\":\"2026-12-07T10:00:00Z\",\"queue_position\":1}");
  g_assert_true (confab_cache_apply_conversation (cache, object, 0, &error));
  g_assert_no_error (error);
  queued = confab_cache_list_queued (cache, "st_1", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (queued), ==, 1);
  g_clear_object (&cache);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, CONFAB_CACHE_SCHEMA_VERSION);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/desktop/routing/parse", test_parse);
  ADD ("/desktop/routing/parsed-once", test_parsed_once);
  ADD ("/desktop/routing/absent-keeps", test_absent_keeps);
  ADD ("/desktop/routing/queue-order", test_queue_order);
  ADD ("/desktop/routing/team-filter", test_team_filter);
  ADD ("/desktop/routing/limits-and-teams", test_limits_and_teams);
#undef ADD
  g_test_add_func ("/desktop/routing/migrate-v4-to-v5", test_migrate_v4);

  return g_test_run ();
}
